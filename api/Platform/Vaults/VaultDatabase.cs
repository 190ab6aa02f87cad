using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Dapper;
using Npgsql;

namespace Headless.Api.Platform.Vaults;

/// <summary>
/// One region's vault database: the API's data source, and the migrations (embedded
/// `Platform/Vaults/Migrations/NNNN_*.sql`, recorded in the vault's own `vault_schema_migrations`), applied as the
/// owner when a migration connection is given. In Development the database is created first, beside the core one.
/// </summary>
public sealed class VaultDatabase(RegionSettings settings) : IAsyncDisposable
{
    private const long LockKey = 0x5641_554C_5448_4C53; // "VAULTHLS"

    public string Region => settings.Region;

    public RegionSettings Settings => settings;

    // A vault's pool has no LISTEN connection to notice a restart: the watch clears it (PoolWatch says why).
    private readonly (NpgsqlDataSource Source, Database.PoolWatch Watch)? _pool = settings.ConnectionString is { } cs ? Watched(Build(cs, settings.Region)) : null;

    public NpgsqlDataSource? DataSource => _pool?.Source;

    /// <summary>Vault operations of this instance that run at once, at most; fewer when the pool is smaller (it keeps one connection for its watch).</summary>
    public const int MaxConcurrentOperations = 16;

    /// <summary>How long a request waits for its turn before it answers 503 like an unreachable vault.</summary>
    public static readonly TimeSpan LongestWaitForTurn = TimeSpan.FromSeconds(15);

    // Npgsql spends the pool's Timeout (then 3 s) on waiting for a free connection too: a burst of checkouts (200 at
    // once, on a loaded machine) outwaited it while the vault was only busy, and answered 503 vault-unavailable. Turns
    // keep the waiting here, in order, and the connections the turns use few enough to stay open.
    private readonly ConcurrencyLimiter _turns = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = TurnLimit(settings),
        QueueLimit = 100_000,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    /// <summary>Operations running now and waiting for their turn now (tests read them).</summary>
    public (long Running, long Waiting) Turns
    {
        get
        {
            var stats = _turns.GetStatistics()!;
            return (_turnLimit - stats.CurrentAvailablePermits, stats.CurrentQueuedCount);
        }
    }

    private readonly int _turnLimit = TurnLimit(settings);

    private static int TurnLimit(RegionSettings settings) =>
        settings.ConnectionString is { } pooled ? Math.Clamp(new NpgsqlConnectionStringBuilder(pooled).MaxPoolSize - PoolWatchConnections, 1, MaxConcurrentOperations) : 1;

    // The pool's watch (PoolWatch) keeps one of the pool's connections for itself.
    private const int PoolWatchConnections = 1;

    /// <summary>Waits for this instance's turn at the vault; dispose the lease when the operation's statements are done.</summary>
    public async ValueTask<RateLimitLease> TurnAsync(CancellationToken ct)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(LongestWaitForTurn);
        RateLimitLease lease;
        try
        {
            lease = await _turns.AcquireAsync(1, wait.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new VaultUnavailableException(Region, new TimeoutException(
                $"No turn at the {Region} vault within {LongestWaitForTurn.TotalSeconds:0} s: all of this instance's vault connections stayed busy."));
        }
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            throw new VaultUnavailableException(Region, new InvalidOperationException($"The queue for the {Region} vault is full."));
        }
        return lease;
    }

    public static IReadOnlyList<(string Version, string Sql, string Checksum)> Migrations { get; } = Load();

    private static List<(string, string, string)> Load()
    {
        var assembly = typeof(VaultDatabase).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("VaultMigrations.", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n =>
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(n)!);
                var sql = reader.ReadToEnd();
                return (n["VaultMigrations.".Length..^".sql".Length], sql, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sql)))[..16].ToLowerInvariant());
            })
            .ToList();
    }

    public NpgsqlDataSource Open()
    {
        var (source, watch) = _pool ?? throw new InvalidOperationException($"No vault database is configured for {Region}.");
        watch.EnsureStarted();
        return source;
    }

    private static (NpgsqlDataSource, Database.PoolWatch) Watched(NpgsqlDataSource source) => (source, new Database.PoolWatch(source));

    /// <summary>Creates the database (Development) and applies pending migrations as the owner; returns the versions applied.</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken ct)
    {
        if (settings.MigrationConnectionString is not { } owner)
        {
            return [];
        }
        if (settings.CreateDatabase)
        {
            await CreateDatabaseAsync(owner, ct);
        }
        await using var source = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(owner) { Pooling = false }.ConnectionString);
        await using var conn = await source.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await conn.ExecuteAsync("select pg_advisory_xact_lock(@LockKey)", new { LockKey }, tx);
        await conn.ExecuteAsync("""
            create table if not exists vault_schema_migrations (
                version    text primary key,
                checksum   text not null,
                applied_at timestamptz not null default now()
            )
            """, transaction: tx);
        var applied = (await conn.QueryAsync<(string Version, string Checksum)>("select version, checksum from vault_schema_migrations", transaction: tx))
            .ToDictionary(r => r.Version, r => r.Checksum);
        var done = new List<string>();
        foreach (var (version, sql, checksum) in Migrations)
        {
            if (applied.TryGetValue(version, out var existing))
            {
                if (existing != checksum)
                {
                    throw new InvalidOperationException($"Vault migration {version} was changed after it was applied. Add a new vault migration instead.");
                }
                continue;
            }
            await conn.ExecuteAsync(sql, transaction: tx);
            await conn.ExecuteAsync("insert into vault_schema_migrations (version, checksum) values (@version, @checksum)", new { version, checksum }, tx);
            done.Add(version);
        }
        await tx.CommitAsync(ct);
        return done;
    }

    /// <summary>The migrations the vault has not applied yet.</summary>
    public static async Task<IReadOnlyList<string>> PendingAsync(NpgsqlConnection conn)
    {
        if (!await conn.ExecuteScalarAsync<bool>("select to_regclass('vault_schema_migrations') is not null"))
        {
            return Migrations.Select(m => m.Version).ToList();
        }
        var applied = (await conn.QueryAsync<string>("select version from vault_schema_migrations")).ToHashSet();
        return Migrations.Select(m => m.Version).Where(v => !applied.Contains(v)).ToList();
    }

    private static async Task CreateDatabaseAsync(string owner, CancellationToken ct)
    {
        var builder = new NpgsqlConnectionStringBuilder(owner) { Pooling = false };
        var name = builder.Database!;
        builder.Database = "postgres";
        await using var conn = new NpgsqlConnection(builder.ConnectionString);
        await conn.OpenAsync(ct);
        if (await conn.ExecuteScalarAsync<bool>("select exists (select 1 from pg_database where datname = @name)", new { name }))
        {
            return;
        }
        try
        {
            // The name is the core database's (configuration, not user input) plus our suffix; quoted.
            await conn.ExecuteAsync($"create database \"{name.Replace("\"", "\"\"")}\"");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase || e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // Another instance created it first.
        }
    }

    private static NpgsqlDataSource Build(string connectionString, string region)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.ApplicationName ??= "headless-api";
        // With turns (above) nobody waits in the pool, so Timeout bounds only opening a connection. A vault that is down
        // refuses at once; one that does not answer at all (a lost network) answers 503 after this, not the default 15 s.
        // 3 s was too short: on a saturated 2-core machine (the full test suite, load average 9) opening 16 connections
        // at once took longer, and checkouts answered 503 while the vault was only slow.
        if (builder.ConnectionStringBuilder.Timeout == 15)
        {
            builder.ConnectionStringBuilder.Timeout = 10;
        }
        builder.Name = $"headless-vault-{region}";
        return builder.Build();
    }

    public async ValueTask DisposeAsync()
    {
        _turns.Dispose();
        if (_pool is { } pool)
        {
            await pool.Watch.DisposeAsync();
            await pool.Source.DisposeAsync();
        }
    }
}
