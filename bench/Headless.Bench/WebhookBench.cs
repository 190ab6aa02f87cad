using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Headless.Api.Platform.Hosting;
using Headless.Api.Platform.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Headless.Bench;

/// <summary>
/// <c>./build.sh bench --only=webhooks</c>: outbound webhook fan-out. <see cref="Endpoints"/> receivers (one
/// Kestrel app in this process, a port each, answering 200 at once) subscribe to `order.paid`; events are
/// committed to the outbox at <see cref="EventsPerSecond"/>/s (a small transaction every 10 ms) for the
/// measured time, and every delivery's lag is its arrival at the receiver minus its event's commit (both on
/// this process's clock). Reports deliveries/s and the lag's p50/p95/p99 (aim: p99 under 1 s). Its own fresh
/// database (<c>headless_bench_webhooks</c>), so the catalog is neither needed nor touched.
/// </summary>
internal sealed class WebhookBench(BenchOptions options)
{
    public const string StartMarker = "<!-- bench:webhooks -->";
    public const string EndMarker = "<!-- /bench:webhooks -->";
    public const int Endpoints = 10;
    public const int EventsPerSecond = 1_000;
    public const double AimP99Ms = 1_000;
    private const string DatabaseName = "headless_bench_webhooks";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The first receiver port (the others follow): HEADLESS_BENCH_RECEIVER_PORT, default 5100.</summary>
    private static int ReceiverPort => int.TryParse(Environment.GetEnvironmentVariable("HEADLESS_BENCH_RECEIVER_PORT"), NumberStyles.None, Inv, out var p) ? p : 5100;

    private int MeasureSeconds => options.Quick ? 5 : 30;

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentDictionary<string, long> _committedAt = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string WebhookId, string Body, long Arrived)> _arrivals = new();
    private readonly List<double> _lagsMs = [];
    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);
    private long _received;
    private long _duplicates;
    private long _firstArrival = long.MaxValue;
    private long _lastArrival;

    public async Task RunAsync(BenchDatabase db, string apiDll, string logDirectory, string code, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var total = Stopwatch.StartNew();
        Log.Step($"Webhooks{(options.Quick ? " (--quick)" : "")}: {EventsPerSecond:N0} events/s for {MeasureSeconds} s fanned out to {Endpoints} receivers on 127.0.0.1:{ReceiverPort}-{ReceiverPort + Endpoints - 1}");
        var logins = await db.CreateScratchAsync(DatabaseName, ct);
        await using var receivers = await StartReceiversAsync(ct);
        await using var api = await ApiProcess.StartAsync(apiDll, logins.App, readCache: true, Path.Combine(logDirectory, "api-webhooks.log"), ct,
            new Dictionary<string, string> { ["Headless__Webhooks__AllowLocalReceivers"] = "true" });
        string secret;
        await using (var conn = new NpgsqlConnection(logins.Owner))
        {
            await conn.OpenAsync(ct);
            secret = (await ApiKeys.IssueAsync(conn, "bench-webhooks", Scopes.All)).Secret;
        }
        using var http = new HttpClient { BaseAddress = api.Http.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        for (var i = 0; i < Endpoints; i++)
        {
            using var created = await http.PostAsJsonAsync("/api/v1/admin/webhook-endpoints",
                new { url = $"http://127.0.0.1:{ReceiverPort + i}/hook", description = $"bench receiver {i}", eventTypes = new[] { "order.paid" }, enabled = true }, ct);
            if (created.StatusCode != HttpStatusCode.Created)
            {
                throw new BenchFailure($"Creating webhook endpoint {i} answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync(ct)}");
            }
        }

        await using var source = NpgsqlDataSource.Create(logins.Owner);
        var before = await WritesAsync(source, ct);
        var events = await EmitAsync(source, ct);
        var expected = (long)events * Endpoints;
        var deadline = Stopwatch.StartNew();
        while (Interlocked.Read(ref _received) < expected && deadline.Elapsed < TimeSpan.FromSeconds(60 + MeasureSeconds))
        {
            await Task.Delay(100, ct);
        }
        var received = Interlocked.Read(ref _received);
        var after = await WritesAsync(source, ct);
        Analyse();
        var lags = _lagsMs.Order().ToArray();
        if (lags.Length == 0)
        {
            throw new BenchFailure("No webhook delivery arrived: see api-webhooks.log.");
        }
        var spanSeconds = (_lastArrival - _firstArrival) / (double)Stopwatch.Frequency;
        var perDelivery = Math.Max(received, 1);
        var result = new Result(events, expected, received - _duplicates, _duplicates, received / Math.Max(spanSeconds, 0.001),
            Percentile(lags, 0.50), Percentile(lags, 0.95), Percentile(lags, 0.99), lags[^1],
            (after.Commits - before.Commits) / (double)perDelivery, (after.Rows - before.Rows) / (double)perDelivery);
        Log.Info($"{result.Events:N0} events → {result.Delivered:N0}/{result.Expected:N0} deliveries ({result.Duplicates} duplicates), {result.DeliveriesPerSecond:N0} deliveries/s; " +
            $"commit→delivery lag p50 {result.P50Ms:F0} ms, p95 {result.P95Ms:F0} ms, p99 {result.P99Ms:F0} ms (aim < {AimP99Ms:N0} ms), max {result.MaxMs:F0} ms; " +
            $"{result.CommitsPerDelivery:F2} transactions and {result.RowWritesPerDelivery:F2} row writes per delivery");
        if (received < expected)
        {
            Log.Warn($"{expected - received:N0} deliveries had not arrived {60} s after the last event: the sender fell behind.");
        }

        var markdown = Markdown(started, total.Elapsed, code, db.Description, result);
        if (!options.WritesDocs)
        {
            var quickPath = Path.Combine(logDirectory, "quick-webhooks-result.md");
            await File.WriteAllTextAsync(quickPath, markdown, CancellationToken.None);
            Log.Step($"A trial or other-build run: docs/benchmarks.md left alone; the webhooks section is in {quickPath}.");
        }
        else
        {
            var docs = Path.Combine(RepoPaths.Root, "docs", "benchmarks.md");
            BenchReport.WriteInto(docs, markdown, StartMarker, EndMarker);
            Log.Step($"Wrote the webhook results to {docs}.");
        }
    }

    private sealed record Result(int Events, long Expected, long Delivered, long Duplicates, double DeliveriesPerSecond, double P50Ms, double P95Ms, double P99Ms, double MaxMs,
        double CommitsPerDelivery, double RowWritesPerDelivery);

    /// <summary>Committed transactions and rows inserted or updated in the bench database so far (the statistics
    /// lag by up to a second): per delivery, what the fan-out, claims and settling cost PostgreSQL.</summary>
    private static async Task<(long Commits, long Rows)> WritesAsync(NpgsqlDataSource source, CancellationToken ct)
    {
        await using var conn = await source.OpenConnectionAsync(ct);
        return await conn.QuerySingleAsync<(long, long)>(new CommandDefinition("""
            select (select xact_commit from pg_stat_database where datname = current_database()),
                   (select coalesce(sum(n_tup_ins + n_tup_upd), 0)::bigint from pg_stat_user_tables)
            """, cancellationToken: ct));
    }

    /// <summary>Commits <see cref="EventsPerSecond"/>/100 `order.paid` outbox events every 10 ms (one transaction
    /// each, as orders would) for the measured time; each event's order id is unique, so the receiver finds
    /// its commit time by the payload's `data.id`.</summary>
    private async Task<int> EmitAsync(NpgsqlDataSource source, CancellationToken ct)
    {
        const int perTick = EventsPerSecond / 100;
        var ticks = MeasureSeconds * 100;
        await using var conn = await source.OpenConnectionAsync(ct);
        var start = _clock.Elapsed;
        var emitted = 0;
        for (var tick = 0; tick < ticks; tick++)
        {
            var due = start + TimeSpan.FromMilliseconds(tick * 10);
            var wait = due - _clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct);
            }
            var ids = Enumerable.Range(0, perTick).Select(_ => Guid.NewGuid().ToString()).ToArray();
            await conn.ExecuteAsync(new CommandDefinition("""
                insert into outbox (topic, aggregate_type, aggregate_id, payload)
                select 'order.paid', 'order', id, '{}' from unnest(@ids) as id
                """, new { ids }, cancellationToken: ct));
            var committed = _clock.ElapsedTicks;
            foreach (var id in ids)
            {
                _committedAt[id] = committed;
            }
            emitted += perTick;
        }
        var behind = _clock.Elapsed - start - TimeSpan.FromSeconds(MeasureSeconds);
        Log.Info($"Committed {emitted:N0} events in {(_clock.Elapsed - start).TotalSeconds:F1} s{(behind > TimeSpan.FromSeconds(1) ? " (the emitter fell behind its schedule: the machine is busy)" : "")}.");
        return emitted;
    }

    private async Task<WebApplication> StartReceiversAsync(CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls([.. Enumerable.Range(ReceiverPort, Endpoints).Select(p => $"http://127.0.0.1:{p}")]);
        var app = builder.Build();
        app.Run(async http =>
        {
            using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var arrived = _clock.ElapsedTicks;
            http.Response.StatusCode = StatusCodes.Status200OK;
            await http.Response.WriteAsync("ok");
            Record(http.Request.Headers["webhook-id"].ToString(), body, arrived);
        });
        await app.StartAsync(ct);
        return app;
    }

    // The receivers share the API's cores, so they only take the time and keep the request; matching it to its
    // event (JSON, dictionaries) happens after the run, off the measured path.
    private void Record(string webhookId, string body, long arrived)
    {
        _arrivals.Enqueue((webhookId, body, arrived));
        Interlocked.Increment(ref _received);
    }

    private void Analyse()
    {
        while (_arrivals.TryDequeue(out var a))
        {
            if (!_seen.TryAdd(a.WebhookId, 0))
            {
                _duplicates++;
                continue;
            }
            using var json = JsonDocument.Parse(a.Body);
            var id = json.RootElement.GetProperty("data").GetProperty("id").GetString() ?? "";
            if (_committedAt.TryGetValue(id, out var committed))
            {
                _lagsMs.Add((a.Arrived - committed) * 1000.0 / Stopwatch.Frequency);
            }
            _firstArrival = Math.Min(_firstArrival, a.Arrived);
            _lastArrival = Math.Max(_lastArrival, a.Arrived);
        }
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private string Markdown(DateTime started, TimeSpan took, string code, string database, Result r)
    {
        var sb = new StringBuilder();
        sb.AppendLine(StartMarker);
        sb.AppendLine("## Outbound webhooks (fan-out)");
        sb.AppendLine();
        sb.Append(Inv, $"Measured {started:yyyy-MM-dd HH:mm} UTC with `./build.sh bench --only=webhooks{(options.Quick ? " --quick" : "")}` in {took.TotalMinutes:F1} min, code {code}, on {Environment.ProcessorCount} cores; ");
        sb.Append(Inv, $"{database.Replace(BenchDatabase.DatabaseName, DatabaseName, StringComparison.Ordinal)}. {EventsPerSecond:N0} `order.paid` events/s committed to the outbox for {MeasureSeconds} s ");
        sb.Append(Inv, $"(a transaction of {EventsPerSecond / 100} every 10 ms), each fanned out to {Endpoints} endpoints whose receivers (Kestrel in the bench process, 127.0.0.1) answer 200 at once. ");
        sb.AppendLine("Lag = a delivery's arrival at its receiver − its event's commit, both timed in the bench process.");
        sb.AppendLine();
        sb.AppendLine("| events | deliveries (arrived / expected) | duplicates | deliveries/s | lag p50 | lag p95 | lag p99 (aim < 1 s) | max | transactions / delivery | row writes / delivery |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        sb.AppendLine(Inv, $"| {r.Events:N0} | {r.Delivered:N0} / {r.Expected:N0} | {r.Duplicates:N0} | {r.DeliveriesPerSecond:N0} | {r.P50Ms:F0} ms | {r.P95Ms:F0} ms | {r.P99Ms:F0} ms{(r.P99Ms < AimP99Ms ? "" : " (over)")} | {r.MaxMs:F0} ms | {r.CommitsPerDelivery:F2} | {r.RowWritesPerDelivery:F2} |");
        sb.AppendLine(EndMarker);
        return sb.ToString();
    }
}
