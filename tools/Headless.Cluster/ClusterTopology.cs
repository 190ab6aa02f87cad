using Headless.Api.Platform.Database;
using Npgsql;

namespace Headless.Cluster;

/// <summary>Where the topology lives and what it runs. Ports: the load balancer at <see cref="BasePort"/>,
/// the primary +1, the standby +2, workers from +10, web instances from +20.</summary>
public sealed record ClusterOptions(string Directory, int BasePort, int WebInstances, string ApiDll, string HaproxyTemplate)
{
    /// <summary>Settings given to every API process besides the database and role (tests point email at their SMTP server).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public TextWriter Log { get; init; } = TextWriter.Null;

    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(90);
}

/// <summary>
/// The scale-out topology on one machine: a private PostgreSQL primary and its streaming hot standby, one
/// API process in the worker role (outbox consumers, jobs, sweepers), N in the web role, and HAProxy in
/// front of the web ones. Started by `./build.sh cluster` and by the cluster tests, from the same code.
/// The worker starts first and alone, so migrations and the demo catalog are done before the web
/// instances start (they would wait on the migration lock anyway).
/// </summary>
public sealed class ClusterTopology : IAsyncDisposable
{
    public const string Database = "headless";

    private readonly ClusterOptions _options;
    private readonly List<ApiInstance> _web = [];
    private readonly List<ApiInstance> _workers = [];
    private int _nextWorker;

    public LocalPostgres Primary { get; private set; } = null!;
    public LocalPostgres Standby { get; private set; } = null!;
    public DatabaseLogins Logins { get; private set; } = null!;
    public LoadBalancer Balancer { get; private set; } = null!;
    public IReadOnlyList<ApiInstance> Web => _web;
    public IReadOnlyList<ApiInstance> Workers => _workers;

    private ClusterTopology(ClusterOptions options) => _options = options;

    /// <summary>The API's own login on the standby (read-only while it replays).</summary>
    public string StandbyConnectionString => new NpgsqlConnectionStringBuilder(Logins.Owner) { Port = Standby.Port }.ConnectionString;

    public static async Task<ClusterTopology> StartAsync(ClusterOptions options, CancellationToken ct = default)
    {
        if (LoadBalancer.Missing() is { } missing)
        {
            throw new InvalidOperationException(missing);
        }
        if (!File.Exists(options.ApiDll))
        {
            throw new InvalidOperationException($"{options.ApiDll} is missing: build the API first (dotnet build api -c Release).");
        }
        var cluster = new ClusterTopology(options);
        try
        {
            await cluster.StartPartsAsync(ct);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task StartPartsAsync(CancellationToken ct)
    {
        var log = _options.Log;
        Primary = await LocalPostgres.StartAsync(Path.Combine(_options.Directory, "pg-primary"), _options.BasePort + 1, null, log, ct);
        await Primary.EnsureReplicationAsync(ct);
        Logins = await LocalLogins.EnsureAsync(Primary.ConnectionString("postgres"), Primary.Directory, Database, ct);
        Standby = await LocalPostgres.StartStandbyAsync(Primary, Path.Combine(_options.Directory, "pg-standby"), _options.BasePort + 2, log, ct);

        await StartWorkerAsync(ct);
        for (var i = 0; i < _options.WebInstances; i++)
        {
            _web.Add(ApiInstance.Start(_options.ApiDll, $"web{i + 1}", "web", _options.BasePort + 20 + i, LogDirectory, ApiEnvironment()));
        }
        await Task.WhenAll(_web.Select(w => w.WaitUntilReadyAsync(_options.ReadyTimeout, ct)));
        log.WriteLine($"{_web.Count} web instances ready");

        var template = await File.ReadAllTextAsync(_options.HaproxyTemplate, ct);
        Balancer = await LoadBalancer.StartAsync(template, _options.BasePort, _web, Path.Combine(_options.Directory, "haproxy"), ct);
    }

    /// <summary>Starts one more API process in the worker role and waits until it is ready.</summary>
    public async Task<ApiInstance> StartWorkerAsync(CancellationToken ct = default)
    {
        var n = _nextWorker++;
        var worker = ApiInstance.Start(_options.ApiDll, $"worker{n + 1}", "worker", _options.BasePort + 10 + n, LogDirectory, ApiEnvironment());
        _workers.Add(worker);
        await worker.WaitUntilReadyAsync(_options.ReadyTimeout, ct);
        _options.Log.WriteLine($"{worker.Name} ready ({worker.Url})");
        return worker;
    }

    /// <summary>How far the standby's replay is behind the primary's WAL, in bytes (0: caught up).</summary>
    public async Task<long> ReplicaLagBytesAsync(CancellationToken ct = default)
    {
        await using var conn = new NpgsqlConnection(Primary.ConnectionString("postgres"));
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(
            "select coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), -1)::bigint from pg_stat_replication", conn);
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private string LogDirectory => Path.Combine(_options.Directory, "logs");

    private Dictionary<string, string> ApiEnvironment()
    {
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Headless__Database__ConnectionString"] = Logins.App,
            ["Headless__Database__MigrationConnectionString"] = Logins.Owner,
            // HAProxy is on loopback: its X-Forwarded-For names the client (rate limits, audit rows).
            ["Headless__Http__KnownProxies"] = "127.0.0.1",
        };
        foreach (var (key, value) in _options.Environment)
        {
            env[key] = value;
        }
        return env;
    }

    public string Describe() => string.Join('\n', new[]
    {
        $"  Load balancer  {Balancer.Url}  (HAProxy; shop {Balancer.Url}/, API {Balancer.Url}/api/v1/products)",
    }.Concat(_web.Select(w => $"  Web            {w.Url}  ({w.Name}, log {w.LogFile})"))
     .Concat(_workers.Select(w => $"  Worker         {w.Url}/health/ready  ({w.Name}, log {w.LogFile})"))
     .Concat([
        $"  Primary        127.0.0.1:{Primary.Port}  (data {Primary.Directory})",
        $"  Hot standby    127.0.0.1:{Standby.Port}  (data {Standby.Directory}; read-only, streaming from the primary)",
        $"  DB logins      passwords in {Primary.Directory}/",
     ]));

    public async ValueTask DisposeAsync()
    {
        if (Balancer is not null)
        {
            await Balancer.DisposeAsync();
        }
        await Task.WhenAll(_web.Concat(_workers).Select(i => i.DisposeAsync().AsTask()));
        if (Standby is not null)
        {
            await Standby.DisposeAsync();
        }
        if (Primary is not null)
        {
            await Primary.DisposeAsync();
        }
    }
}
