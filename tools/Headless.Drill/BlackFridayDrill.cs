using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;
using Headless.Api.Platform.Database;
using Headless.Api.Platform.Hosting;
using Headless.Cluster;
using Npgsql;

namespace Headless.Drill;

public sealed record BlackFridayOptions(int Minutes, double? Rate, int Instances, int BasePort, string Directory, bool WriteDocs);

/// <summary>One fault, when it started and when what it broke was back.</summary>
public sealed record FaultWindow(string Kind, string What, DateTimeOffset From, DateTimeOffset To);

/// <summary>
/// The Black Friday drill (<c>./build.sh drill</c>): the cluster topology (DrillCluster) with mail to an SMTP
/// sink, payments through the Stripe stand-in (StripePayer) and Prometheus scraping every instance, the shopper mix from wrk (ShopperMix) for <c>--minutes</c>,
/// and faults on a schedule scaled to the run: SIGKILL one web instance and start it again, restart the
/// primary PostgreSQL, SMTP unreachable for two minutes (at most 40 % of a short run), the payment provider
/// answering 5xx for one minute (at most a fifth). Then a cool-down until Prometheus has no alert active, the
/// checks the issue asks for (alerts included: <see cref="AlertChecks"/>), a report, and its section of
/// docs/benchmarks.md. Exit 3 when a must fails.
/// </summary>
public sealed partial class BlackFridayDrill(BlackFridayOptions options, TextWriter log)
{
    /// <summary>The availability objective the error budget is counted against: 99.9 % of requests without a 5xx.</summary>
    private const double Objective = 0.999;
    private readonly StepLog _steps = new(log);
    private readonly System.Collections.Concurrent.ConcurrentBag<FaultWindow> _faults = [];

    private void Step(string message) => _steps.Step(message);

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        var duration = TimeSpan.FromMinutes(options.Minutes);
        var rate = options.Rate ?? SaleLoad.TargetRequestsPerSecond;
        Step($"Black Friday drill: {options.Minutes} min, target {rate:N0} req/s ({(options.Rate is null ? "the sale peak × 50" : "--rate")}), {options.Instances} web instances, in {options.Directory} (ports {options.BasePort}+).");
        Step($"  {SaleLoad.Arithmetic}.");
        var work = Path.Combine(options.Directory, "run");
        var smtpFile = Path.Combine(options.Directory, "smtp.jsonl");
        await using var smtp = new SmtpSinkProcess(options.BasePort + 5, smtpFile);
        await using var payer = await StripePayer.StartAsync();

        await using var cluster = await DrillCluster.StartAsync(options.Directory, options.BasePort, options.Instances, new Dictionary<string, string>(payer.ApiSettings())
        {
            ["Headless__Catalog__DemoProductCount"] = "500",
            ["Headless__Storefront__SiteDirectory"] = Path.Combine(options.Directory, "site"),
            ["Headless__Email__Smtp__Host"] = "127.0.0.1",
            ["Headless__Email__Smtp__Port"] = smtp.Port.ToString(CultureInfo.InvariantCulture),
        }, new Indented(log), ct);
        Directory.CreateDirectory(work);
        await smtp.StartAsync(ct);
        payer.Begin(cluster.Balancer.Url);
        var rules = DrillRules.For(duration);
        await using var prometheus = await PrometheusServer.StartIfInstalledAsync(Path.Combine(options.Directory, "prometheus"), options.BasePort + 7,
            cluster.Web.Concat(cluster.Workers).Select(i => $"127.0.0.1:{i.Port}").ToList(), rules, new Indented(log), ct);
        // Unpooled: the drill restarts PostgreSQL, and a pooled connection would be a dead one afterwards.
        var db = new NpgsqlConnectionStringBuilder(cluster.Logins.Owner) { Pooling = false }.ConnectionString;
        var (browse, search, skus) = await PathsAsync(db, ct);
        var stockBefore = await StockAsync(db, ct);
        var firstOutboxId = await ScalarAsync<long>(db, "select coalesce(max(id), 0) + 1 from outbox", ct);

        var mix = new ShopperMix(work, rate);
        Step("Shopper mix: " + string.Join(", ", mix.Plan.Select(p => $"{p.Key} {p.Value.Connections} connection(s), {p.Value.PauseMs} ms pause")));
        var loadStart = DateTimeOffset.UtcNow;
        var load = mix.RunAsync(cluster.Balancer.Url, browse, search, skus, duration, ct);
        var extra = new List<ApiInstance>();
        try
        {
            await FaultsAsync(cluster, smtp, payer, extra, duration, ct);
            var outcomes = await load;
            var loadEnd = DateTimeOffset.UtcNow;
            Step("Load finished. Paying the last orders ...");
            await payer.CatchUpAsync(TimeSpan.FromSeconds(60), ct);
            Step("Waiting for the email consumer to catch up (at most 3 min) ...");
            await DrainMailAsync(db, firstOutboxId, ct);
            (IReadOnlyList<PrometheusServer.Firing> Firings, IReadOnlyList<string> Active)? alerts = prometheus is null ? null : await CoolDownAsync(prometheus, rules, loadStart, ct);
            var paid = payer.Paid;
            await payer.DisposeAsync();
            var report = await CheckAsync(cluster, smtp, mix, paid, outcomes, stockBefore, firstOutboxId, rate, started, loadStart, loadEnd, alerts, rules, ct);
            log.WriteLine();
            log.Write(report.Text);
            var resultFile = Path.Combine(RepoPaths.Data, "drill", "black-friday-result.md");
            Directory.CreateDirectory(Path.GetDirectoryName(resultFile)!);
            await File.WriteAllTextAsync(resultFile, report.Text, ct);
            if (options.WriteDocs)
            {
                await WriteDocsSectionAsync(report.Text, ct);
                Step("Wrote the drill's section of docs/benchmarks.md.");
            }
            return report.Failures == 0 ? 0 : 3;
        }
        finally
        {
            foreach (var instance in extra)
            {
                await instance.DisposeAsync();
            }
        }
    }

    // ---- Faults --------------------------------------------------------------------------------------

    private async Task FaultsAsync(ClusterTopology cluster, SmtpSinkProcess smtp, StripePayer payer, List<ApiInstance> extra, TimeSpan duration, CancellationToken ct)
    {
        var t0 = Stopwatch.StartNew();
        async Task At(double fraction)
        {
            var wait = duration * fraction - t0.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct);
            }
        }

        // Each fault on its own clock, so a slow restart does not push the others past the end of the load.
        await Task.WhenAll(KillAndRestartAsync(), RestartDatabaseAsync(), SmtpOutageAsync(), ProviderOutageAsync());

        // 1. SIGKILL one web instance; start it again later (same port: HAProxy's health check takes it back).
        async Task KillAndRestartAsync()
        {
            await At(0.10);
            var victim = cluster.Web[^1];
            var killed = DateTimeOffset.UtcNow;
            victim.Kill();
            Step($"FAULT: {victim.Name} killed with SIGKILL.");
            _faults.Add(new FaultWindow("instance", $"{victim.Name} SIGKILL (in-flight requests)", killed, killed.AddSeconds(5)));
            await At(0.25);
            // As a supervisor (ECS, systemd) would: an API that exits while starting is started again. On a busy
            // machine its start-up can meet the database restart below, and the API refuses to start on a database
            // it cannot reach (57P03, "shutting down") rather than serve without one.
            var environment = EnvironmentOf(cluster);
            var deadline = Stopwatch.StartNew();
            for (var start = 1; ; start++)
            {
                var restarted = ApiInstance.Start(DrillPaths.ReleaseApiDll, $"{victim.Name}-again{(start == 1 ? "" : $"-{start}")}", "web", victim.Port,
                    Path.GetDirectoryName(victim.LogFile)!, environment);
                extra.Add(restarted);
                try
                {
                    await restarted.WaitUntilReadyAsync(TimeSpan.FromSeconds(180) - deadline.Elapsed, ct);
                    break;
                }
                catch (InvalidOperationException e) when (restarted.HasExited && start < 5 && deadline.Elapsed < TimeSpan.FromSeconds(170))
                {
                    Step($"{victim.Name} exited while starting again ({e.Message.Split('\n').Skip(1).LastOrDefault(l => l.Trim().Length > 0)?.Trim()}); starting it once more.");
                    await Task.Delay(TimeSpan.FromSeconds(1), ct);
                }
            }
            Step($"{victim.Name} started again and ready ({(DateTimeOffset.UtcNow - killed).TotalSeconds:F0} s after the kill).");
        }

        // 2. Restart the primary PostgreSQL (a fast shutdown, then start): the API answers 503 meanwhile.
        async Task RestartDatabaseAsync()
        {
            await At(0.35);
            var down = DateTimeOffset.UtcNow;
            Step("FAULT: restarting the primary PostgreSQL ...");
            await cluster.Primary.StopAsync();
            await LocalPostgres.StartAsync(cluster.Primary.Directory, cluster.Primary.Port, null, TextWriter.Null, ct);
            var up = DateTimeOffset.UtcNow;
            _faults.Add(new FaultWindow("database", "primary PostgreSQL restart", down, up.AddSeconds(5)));
            Step($"PostgreSQL is back after {(up - down).TotalSeconds:F1} s.");
        }

        // 3. SMTP unreachable: two minutes, or 40 % of a shorter run. The sink closes its port (connections
        //    are refused) and lets the sessions in flight finish: unreachable, not crashed mid-DATA.
        async Task SmtpOutageAsync()
        {
            await At(0.45);
            var outage = SmtpOutage(duration);
            var smtpDown = DateTimeOffset.UtcNow;
            var how = await smtp.StopAcceptingAsync();
            Step($"FAULT: SMTP unreachable for {outage.TotalSeconds:F0} s ({how}).");
            var left = outage - (DateTimeOffset.UtcNow - smtpDown);
            if (left > TimeSpan.Zero)
            {
                await Task.Delay(left, ct);
            }
            await smtp.StartAsync(ct);
            _faults.Add(new FaultWindow("smtp", $"SMTP unreachable {outage.TotalSeconds:F0} s", smtpDown, DateTimeOffset.UtcNow));
            Step("SMTP server back.");
        }

        // 4. The payment provider answers 5xx: one minute, or a fifth of a shorter run.
        async Task ProviderOutageAsync()
        {
            await At(0.70);
            var outage = TimeSpan.FromSeconds(Math.Min(60, duration.TotalSeconds / 5));
            var down = DateTimeOffset.UtcNow;
            payer.Outage();
            Step($"FAULT: payment provider answers 500 to everything for {outage.TotalSeconds:F0} s.");
            await Task.Delay(outage, ct);
            payer.Recover();
            _faults.Add(new FaultWindow("provider", $"payment provider 5xx {outage.TotalSeconds:F0} s", down, DateTimeOffset.UtcNow.AddSeconds(3)));
            Step("Payment provider back.");
        }
    }

    private static TimeSpan SmtpOutage(TimeSpan run) => TimeSpan.FromSeconds(Math.Min(120, run.TotalSeconds * 0.4));

    /// <summary>The environment a web instance was started with (its own log has no copy): read back from /proc.</summary>
    private static Dictionary<string, string> EnvironmentOf(ClusterTopology cluster)
    {
        var pid = Directory.GetDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var p) ? p : 0)
            .First(p => p > 0 && CommandLine(p).Contains("Headless.Api.dll", StringComparison.Ordinal)
                && Environ(p).TryGetValue("Urls", out var urls) && urls == cluster.Web[0].Url);
        var env = Environ(pid);
        env.Remove("Urls");
        env.Remove("Headless__Role");
        return env;
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline");
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static Dictionary<string, string> Environ(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)
                .Select(e => e.Split('=', 2)).Where(p => p.Length == 2)
                .GroupBy(p => p[0], StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    // ---- Data ----------------------------------------------------------------------------------------

    private static async Task<(List<string> Browse, List<string> Search, List<string> Skus)> PathsAsync(string db, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(db);
        await conn.OpenAsync(ct);
        var slugs = (await conn.QueryAsync<string>("select slug from products where status = 'active' order by slug limit 300")).ToList();
        var words = (await conn.QueryAsync<string>(
            "select distinct lower(split_part(title, ' ', 1)) from products where status = 'active' and length(split_part(title, ' ', 1)) > 2 limit 100")).ToList();
        var skus = await CheckoutShoppers.SkusAsync(db, ct);
        var browse = slugs.Select(s => $"/api/v1/products/{s}")
            .Concat(Enumerable.Range(0, Math.Max(1, slugs.Count / 4)).Select(_ => "/api/v1/products?limit=24"))
            .Concat(Enumerable.Range(0, Math.Max(1, slugs.Count / 10)).Select(_ => "/api/v1/categories"))
            .ToList();
        var search = words.Select(w => $"/api/v1/search?q={Uri.EscapeDataString(w)}").DefaultIfEmpty("/api/v1/search?q=shirt").ToList();
        return (browse, search, [.. skus]);
    }

    private static async Task<Dictionary<string, int>> StockAsync(string db, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(db);
        await conn.OpenAsync(ct);
        return (await conn.QueryAsync<(string Sku, int OnHand)>(new CommandDefinition("select sku, on_hand from inventory", cancellationToken: ct)))
            .ToDictionary(r => r.Sku, r => r.OnHand, StringComparer.Ordinal);
    }

    private static async Task<T> ScalarAsync<T>(string db, string sql, CancellationToken ct, object? args = null)
    {
        await using var conn = new NpgsqlConnection(db);
        await conn.OpenAsync(ct);
        return (await conn.ExecuteScalarAsync<T>(new CommandDefinition(sql, args, cancellationToken: ct)))!;
    }

    private const string PendingMailSql = """
        select count(*) from outbox o
        where o.id >= @first and o.topic = 'email.requested'
          and not exists (select 1 from email_deliveries d where d.outbox_id = o.id)
          and not exists (select 1 from outbox_failures f where f.outbox_id = o.id and f.consumer = 'email')
        """;

    private async Task DrainMailAsync(string db, long first, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(3))
        {
            var pending = await ScalarAsync<long>(db, PendingMailSql, ct, new { first });
            if (pending == 0)
            {
                Step($"  all mail handled after {clock.Elapsed.TotalSeconds:F0} s.");
                return;
            }
            await Task.Delay(1000, ct);
        }
        Step("  the email consumer did not catch up within 3 min.");
    }

    /// <summary>After the load: waits until Prometheus has no alert pending or firing (at most the rules'
    /// reach plus a minute), then reads every firing spell of the run.</summary>
    private async Task<(IReadOnlyList<PrometheusServer.Firing> Firings, IReadOnlyList<string> Active)> CoolDownAsync(PrometheusServer prometheus, DrillRules rules, DateTimeOffset loadStart, CancellationToken ct)
    {
        var limit = rules.Reach + TimeSpan.FromMinutes(1);
        Step($"Cool-down: waiting until no alert is active (at most {limit.TotalSeconds:F0} s) ...");
        var clock = Stopwatch.StartNew();
        IReadOnlyList<string> active = [];
        while (clock.Elapsed < limit)
        {
            active = await prometheus.ActiveAsync(ct);
            if (active.Count == 0)
            {
                break;
            }
            await Task.Delay(TimeSpan.FromSeconds(PrometheusServer.IntervalSeconds), ct);
        }
        Step(active.Count == 0 ? $"  no alert active after {clock.Elapsed.TotalSeconds:F0} s." : $"  still active at the end: {string.Join(", ", active)}.");
        return (await prometheus.FiringsAsync(loadStart, DateTimeOffset.UtcNow, ct), active);
    }

    // ---- Checks and report -------------------------------------------------------------------------

    private sealed record Report(string Text, int Failures);

    private async Task<Report> CheckAsync(ClusterTopology cluster, SmtpSinkProcess smtp, ShopperMix mix, int paid, Dictionary<string, WrkOutcome?> outcomes,
        Dictionary<string, int> stockBefore, long firstOutboxId, double rate, DateTimeOffset started, DateTimeOffset loadStart, DateTimeOffset loadEnd,
        (IReadOnlyList<PrometheusServer.Firing> Firings, IReadOnlyList<string> Active)? alerts, DrillRules rules, CancellationToken ct)
    {
        var db = new NpgsqlConnectionStringBuilder(cluster.Logins.Owner) { Pooling = false }.ConnectionString;
        var answers = mix.Answers();
        var checks = new List<(bool Must, bool Passed, string What)>();

        // Confirmed orders: every 201 checkout the shoppers saw is in the database.
        var confirmed = answers.Where(a => a.Step == "checkout" && a.Status == 201 && a.Order is not null).Select(a => a.Order!).Distinct().ToArray();
        await using var conn = new NpgsqlConnection(db);
        await conn.OpenAsync(ct);
        var found = (await conn.QueryAsync<string>("select number from orders where number = any(@confirmed)", new { confirmed })).ToHashSet(StringComparer.Ordinal);
        var lost = confirmed.Count(n => !found.Contains(n));
        checks.Add((true, lost == 0, $"confirmed orders lost: {lost} of {confirmed.Length:N0} confirmed (201)"));

        // Stock: never below zero; reserved = units of orders still holding a reservation; units gone = units sold.
        var negative = await conn.ExecuteScalarAsync<long>("select count(*) from inventory where on_hand < 0 or reserved < 0 or reserved > on_hand");
        var reservedOff = await conn.ExecuteScalarAsync<long>("""
            select count(*) from inventory i
            left join (select l.sku, sum(l.quantity) as held from order_lines l join orders o on o.id = l.order_id
                       where o.reservation = 'held' group by l.sku) h on h.sku = i.sku
            where i.reserved <> coalesce(h.held, 0)
            """);
        var sold = (await conn.QueryAsync<(string Sku, long Units)>("""
            select l.sku, sum(l.quantity)::bigint from order_lines l join orders o on o.id = l.order_id
            where o.reservation = 'committed' and o.created_at >= @loadStart group by l.sku
            """, new { loadStart })).ToDictionary(r => r.Sku, r => r.Units, StringComparer.Ordinal);
        var after = (await conn.QueryAsync<(string Sku, int OnHand)>("select sku, on_hand from inventory")).ToDictionary(r => r.Sku, r => r.OnHand, StringComparer.Ordinal);
        var soldOff = after.Count(a => stockBefore.TryGetValue(a.Key, out var before) && before - a.Value != sold.GetValueOrDefault(a.Key));
        checks.Add((true, negative == 0, $"units oversold: {negative} SKUs below zero or reserving more than on hand"));
        checks.Add((true, reservedOff == 0, $"reservations accounted for: {reservedOff} SKUs whose reserved units differ from their held orders' lines"));
        checks.Add((true, soldOff == 0, $"units sold accounted for: {soldOff} SKUs whose on-hand drop differs from their paid orders' lines ({sold.Values.Sum():N0} units sold)"));

        // Email, counted per Message-ID (`<email.{outboxId}.{createdAtMs}@…>`, stable for one queued email): every
        // mail event of the run arrived; "sent twice" is one email sent as two different messages (two Message-IDs
        // for one order's mail of one template); the same Message-ID arriving again is a redelivery, which
        // at-least-once delivery allows and a receiving server drops (noted, not a must).
        var events = (await conn.QueryAsync<long>("select id from outbox where id >= @firstOutboxId and topic = 'email.requested'", new { firstOutboxId })).ToHashSet();
        var deadLetters = await conn.ExecuteScalarAsync<long>("select count(*) from outbox_failures where consumer = 'email' and outbox_id >= @firstOutboxId", new { firstOutboxId });
        var messages = smtp.MessageIds().Select(m => (MessageId: m, Match: MessageIdOutbox().Match(m)))
            .Where(m => m.Match.Success && events.Contains(long.Parse(m.Match.Groups["id"].Value, CultureInfo.InvariantCulture)))
            .Select(m => (m.MessageId, OutboxId: long.Parse(m.Match.Groups["id"].Value, CultureInfo.InvariantCulture))).ToList();
        var delivered = messages.Select(m => m.OutboxId).ToHashSet();
        var redelivered = messages.GroupBy(m => m.MessageId, StringComparer.Ordinal).Count(g => g.Count() > 1);
        var missing = events.Count(id => !delivered.Contains(id));
        // Two outbox events for the same order's mail of one template: two different emails for one thing.
        var sentTwice = await conn.ExecuteScalarAsync<long>("""
            select count(*) from (
                select payload->>'template', payload->'model'->>'number' from outbox
                where id >= @firstOutboxId and topic = 'email.requested' and payload->'model'->>'number' is not null
                group by 1, 2 having count(*) > 1) twice
            """, new { firstOutboxId });
        var idsPerEvent = messages.GroupBy(m => m.OutboxId).Count(g => g.Select(m => m.MessageId).Distinct(StringComparer.Ordinal).Count() > 1);
        checks.Add((true, missing == 0, $"emails lost: {missing} of {events.Count:N0} ({deadLetters} dead-lettered)"));
        checks.Add((true, sentTwice + idsPerEvent == 0, $"emails sent twice (one order's mail of one template queued twice, or one queued email under two Message-IDs): {sentTwice + idsPerEvent}"));
        checks.Add((false, true, $"redeliveries (the same Message-ID received again; at-least-once delivery, dropped by a receiving server): {redelivered}"));

        // 5xx only in flight on the killed instance; 503 (with Retry-After) while the database was down.
        bool In(Answer a, string kind) => _faults.Any(f => f.Kind == kind && a.At >= f.From.ToUnixTimeSeconds() && a.At <= f.To.ToUnixTimeSeconds());
        var fiveXx = answers.Where(a => a.Status >= 500).ToList();
        var unexpected = fiveXx.Where(a => !In(a, "instance") && !(a.Status == 503 && (In(a, "database") || In(a, "provider")))).ToList();
        var noRetryAfter = fiveXx.Count(a => a.Status == 503 && a.RetryAfter is null);
        var outageWindows = answers.Where(a => In(a, "database") || In(a, "provider")).ToList();
        checks.Add((true, unexpected.Count == 0, $"5xx other than in flight on the killed instance or a 503 while the database or provider was down: {unexpected.Count}"
            + (unexpected.Count == 0 ? "" : " (" + string.Join(", ", unexpected.GroupBy(a => $"{a.Step} {a.Status} {a.Problem ?? "no problem body"}").OrderByDescending(g => g.Count()).Take(6).Select(g => $"{g.Key} ×{g.Count()}"))
                + "; at " + string.Join(", ", unexpected.Take(6).Select(a => $"+{a.At - loadStart.ToUnixTimeSeconds()} s")) + ")")));
        checks.Add((true, noRetryAfter == 0, $"503 without Retry-After: {noRetryAfter} (503 with it while the database or provider was down: {outageWindows.Count(a => a.Status == 503 && a.RetryAfter is not null)})"));

        var totalRequests = outcomes.Values.Sum(o => o?.Requests ?? 0);
        var socketErrors = outcomes.Values.Sum(o => o is null ? 0 : o.Connect + o.Read + o.Write + o.Timeout);
        var budget = (1 - Objective) * Math.Max(1, totalRequests);
        var used = (fiveXx.Count + socketErrors) / budget;
        var seconds = (loadEnd - loadStart).TotalSeconds;
        if (alerts is not null)
        {
            checks.AddRange(AlertChecks(alerts.Value.Firings, alerts.Value.Active, rules, loadStart));
        }
        var failures = checks.Count(c => c.Must && !c.Passed) + (alerts is null ? 1 : 0);

        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Run {started:yyyy-MM-dd HH:mm} UTC, `./build.sh drill --minutes={options.Minutes}{(options.Rate is { } r ? $" --rate={r:0.#}" : "")} --instances={options.Instances}`: {options.Instances} web instances + 1 worker behind HAProxy, PostgreSQL primary + streaming standby, on one machine ({Environment.ProcessorCount} cores, shared with other work while it ran). Debian wrk, one process per shopper type.");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Target: {SaleLoad.Arithmetic}. This run aimed at {rate:N0} req/s and reached {totalRequests / Math.Max(1, seconds):N0} req/s ({totalRequests:N0} requests in {seconds:F0} s).");
        sb.AppendLine();
        sb.AppendLine("Faults: " + string.Join("; ", _faults.OrderBy(f => f.From).Select(f => $"{f.What} at +{(f.From - loadStart).TotalSeconds:F0} s")) + $". Payments: the Stripe stand-in, {paid:N0} intents paid by signed webhooks.");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Alerts: Prometheus with a copy of ops/prometheus/alerts.yml {rules.Scaling} (generated at run time; the real durations are tested by `promtool test rules`), then a cool-down after the load until no alert is active.");
        sb.AppendLine();
        sb.AppendLine("| Shopper type | Share | Requests | req/s | p50 | p99 | max | 5xx | socket errors |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var type in ShopperMix.Types)
        {
            var o = outcomes.GetValueOrDefault(type.Kind);
            sb.AppendLine(o is null
                ? $"| {type.Kind} | {type.Share:P0} | wrk reported nothing | | | | | | |"
                : string.Create(CultureInfo.InvariantCulture,
                    $"| {type.Kind} | {type.Share:P0} | {o.Requests:N0} | {o.Requests / (o.DurationUs / 1e6):F1} | {o.P50Us / 1000.0:F1} ms | {o.P99Us / 1000.0:F1} ms | {o.MaxUs / 1000.0:F0} ms | {answers.Count(a => a.Status >= 500 && a.Kind == type.Kind)} | {o.Connect + o.Read + o.Write + o.Timeout} |"));
        }
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Error budget (objective {Objective:P1} of requests without a 5xx or a broken connection): {fiveXx.Count + socketErrors:N0} bad of {totalRequests:N0}, {used:P0} of the run's budget used.");
        sb.AppendLine();
        foreach (var (must, passed, what) in checks)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"- {(passed ? "PASS" : must ? "FAIL" : "note")}: {what}");
        }
        if (alerts is null)
        {
            sb.AppendLine("- FAIL: alerts: Prometheus is not installed (`./build.sh ensure-prometheus`), so none were watched");
        }
        sb.AppendLine();
        sb.AppendLine(failures == 0 ? "Result: every must held." : $"Result: {failures} must(s) failed.");
        return new Report(sb.ToString(), failures);
    }

    /// <summary>What each fault must make fire (an operator has to hear of it), what it may make fire (a
    /// consequence, not a false alarm), checked against what Prometheus fired. Every other firing fails.</summary>
    private static readonly (string Fault, string Alert, string? Consumer, bool Required)[] Expected =
    [
        // A payment provider answering 5xx: its own alert; refused checkouts and 5xx answers follow.
        ("provider", "HeadlessPaymentProviderErrors", null, true),
        ("provider", "HeadlessCheckoutFailureRatio", null, false),
        ("provider", "HeadlessHighErrorRatio", null, false),
        // SMTP unreachable: the email consumer falls behind (lag over 60 s) once the outage is long enough.
        ("smtp", "HeadlessOutboxLag", "email", true),
        // A database restart: every request answers 503 for its seconds, which a (scaled) window can see as a ratio.
        ("database", "HeadlessHighErrorRatio", null, false),
        ("database", "HeadlessCheckoutFailureRatio", null, false),
        // A killed instance: no rule watches instances (HAProxy's health check takes it out); its in-flight 5xx may count.
        ("instance", "HeadlessHighErrorRatio", null, false),
    ];

    /// <param name="active">"name state" of the alerts still active when the cool-down ended (none when it ended by itself).</param>
    private IEnumerable<(bool Must, bool Passed, string What)> AlertChecks(IReadOnlyList<PrometheusServer.Firing> firings, IReadOnlyList<string> active, DrillRules rules, DateTimeOffset loadStart)
    {
        string At(DateTimeOffset t) => string.Create(CultureInfo.InvariantCulture, $"+{(t - loadStart).TotalSeconds:F0} s");
        bool Reaches(FaultWindow f, PrometheusServer.Firing a) => a.First >= f.From && a.First <= f.To + rules.Reach;
        bool Cleared(PrometheusServer.Firing a) => !active.Any(x => x.StartsWith(a.Name + " ", StringComparison.Ordinal));
        foreach (var (kind, alert, consumer, _) in Expected.Where(e => e.Required))
        {
            var fault = _faults.FirstOrDefault(f => f.Kind == kind);
            if (fault is null)
            {
                yield return (true, false, $"alert {alert}: its fault ({kind}) did not run");
                continue;
            }
            // An alert needs a fault that lasts its for: and two evaluations (the lag alert: its 60 s threshold too); a
            // short run's provider outage (12 s in a 1-minute run) is shorter than the 15 s floor of for:, and whether
            // the errors still in the rate window carry it over is chance.
            var needs = TimeSpan.FromSeconds((alert == "HeadlessOutboxLag" ? 60 : 0) + 2 * PrometheusServer.IntervalSeconds) + rules.ForOf(alert);
            if (fault.To - fault.From < needs)
            {
                yield return (false, true, $"alert {alert}{(consumer is null ? "" : $"{{consumer=\"{consumer}\"}}")}: not expected in this run ({fault.What} is shorter than the {needs.TotalSeconds:F0} s it needs to fire)");
                continue;
            }
            var fired = firings.Where(a => a.Name == alert && (consumer is null || a.Consumer == consumer) && Reaches(fault, a)).ToList();
            var label = $"{alert}{(consumer is null ? "" : $"{{consumer=\"{consumer}\"}}")}";
            yield return fired.Count == 0
                ? (true, false, $"alert {label} did not fire during {fault.What} ({At(fault.From)} to {At(fault.To)})")
                : (true, fired.All(Cleared),
                    $"alert {label} fired during {fault.What} ({At(fault.From)} to {At(fault.To)}): firing {string.Join(", ", fired.Select(a => $"{At(a.First)} to {At(a.Last)}"))}, "
                    + (fired.All(Cleared) ? "cleared before the end" : "still active at the end of the cool-down"));
        }
        var explained = firings.Where(a => _faults.Any(f => Expected.Any(e => e.Fault == f.Kind && e.Alert == a.Name && (e.Consumer is null || e.Consumer == a.Consumer)) && Reaches(f, a))).ToList();
        var others = firings.Except(explained).ToList();
        var allowed = explained.Where(a => !Expected.Any(e => e.Required && e.Alert == a.Name)).ToList();
        yield return (true, others.Count == 0, others.Count == 0
            ? "no other alert fired" + (allowed.Count == 0 ? "" : $" (consequences of a fault, allowed: {string.Join(", ", allowed.Select(a => $"{a.Name} {At(a.First)} to {At(a.Last)}"))})")
            : $"other alerts fired: {string.Join(", ", others.Select(a => $"{a.Name}{(a.Consumer is null ? "" : $"{{consumer=\"{a.Consumer}\"}}")} {At(a.First)} to {At(a.Last)}"))}");
        yield return (true, active.Count == 0, active.Count == 0
            ? "every alert that fired cleared before the end of the cool-down"
            : $"alerts still active at the end of the cool-down: {string.Join(", ", active)}");
    }

    private async Task WriteDocsSectionAsync(string report, CancellationToken ct)
    {
        const string start = "<!-- bench:black-friday-drill -->";
        const string end = "<!-- /bench:black-friday-drill -->";
        var path = Path.Combine(RepoPaths.Root, "docs", "benchmarks.md");
        var doc = await File.ReadAllTextAsync(path, ct);
        var section = $"{start}\n## Black Friday drill (`./build.sh drill`)\n\n{report}{end}";
        var from = doc.IndexOf(start, StringComparison.Ordinal);
        var to = doc.IndexOf(end, StringComparison.Ordinal);
        doc = from >= 0 && to > from
            ? doc[..from] + section + doc[(to + end.Length)..]
            : doc.TrimEnd('\n') + "\n\n" + section + "\n";
        await File.WriteAllTextAsync(path, doc, ct);
    }

    [GeneratedRegex(@"^<?email\.(?<id>\d+)\.")]
    private static partial Regex MessageIdOutbox();
}
