using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Headless.Api.Features.Carts;
using Headless.Api.Platform.Hosting;
using NpgsqlTypes;

namespace Headless.Bench;

internal sealed record CommerceScenario(string Key, string Title, string Description, IReadOnlyList<LoadRun> Runs, int WarmupSeconds, long WarmupRequests)
{
    public LoadRun MedianRun => Runs.OrderBy(r => r.Rps).ElementAt(Runs.Count / 2);

    public double MedianRps => ScenarioResult.Median(Runs.Select(r => r.Rps));

    public double MedianP50 => ScenarioResult.Median(Runs.Select(r => r.P50Ms));

    public double MedianP90 => ScenarioResult.Median(Runs.Select(r => r.P90Ms));

    public double MedianP99 => ScenarioResult.Median(Runs.Select(r => r.P99Ms));

    public double MedianMax => ScenarioResult.Median(Runs.Select(r => r.MaxMs));
}

internal sealed record OversellCheck(string After, long BadRows, long Mismatched, long HeldOrders, long ReservedTotal, string Extra)
{
    public bool Ok => BadRows == 0 && Mismatched == 0;
}

internal sealed record StatementStat(string Statement, long Executions, double TotalMs);

internal sealed record CheckoutProfile(
    int Checkouts, double MeanLatencyMs, double P50Ms, double StatementsPerCheckout, double ServerMsPerCheckout, double XactsPerCheckout,
    IReadOnlyList<StatementStat> Top, string? Note);

/// <summary>
/// The cart and checkout section of docs/benchmarks.md: add-to-cart, checkout on one hot SKU, checkout
/// on SKUs spread over the catalog, a sold-out race, and the zero-oversell check in SQL after each.
/// Carts are created straight in SQL (COPY) before each run, so the clock only sees the measured calls.
/// </summary>
internal sealed class CommerceBench(BenchOptions options, BenchDatabase db, MachineInfo machine, Dataset dataset, string apiDll, string logDirectory)
{
    public const string StartMarker = "<!-- bench:checkout -->";
    public const string EndMarker = "<!-- /bench:checkout -->";
    public const double AimCheckoutsPerSecond = 1000;
    public const double AimAddToCartPerSecond = 3000;
    public const double AimAddToCartP99Ms = 20;
    private const int HotStock = 1_000_000;
    private const int ScarceStock = 100;
    private const int ScarceCheckouts = 500;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly List<OversellCheck> _checks = [];
    private readonly List<string> _problems = [];
    private string _currency = "EUR";
    private int _cartsCreated;

    private int AddCartCarts => options.Quick ? 2_000 : 50_000;

    private int SkuPoolSize => options.Quick ? 5_000 : 60_000;

    private int ProfileCheckouts => options.Quick ? 50 : 300;

    private int WarmupChunk => options.Quick ? 3 : 5;

    private int MaxWarmup => options.Quick ? 6 : 30;

    private int MeasureSeconds => options.Quick ? 4 : 20;

    public async Task RunAsync(string code, CancellationToken ct)
    {
        var startedUtc = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        Log.Step($"Cart and checkout benchmark{(options.Quick ? " (--quick)" : "")}: {options.Connections} concurrent requests, warm-up up to {MaxWarmup} s, {options.Runs} × {MeasureSeconds} s per scenario.");
        await db.ResetCommerceAsync(ct);
        _currency = await db.EnsureDemoPricingAsync(ct);

        Log.Info($"Sampling {SkuPoolSize:N0} sellable SKUs (hash-ordered over all active products) ...");
        var skus = (await db.QueryAsync(c => c.QueryAsync<string>(new CommandDefinition("""
            select v.sku from variants v join products p on p.id = v.product_id join inventory i on i.sku = v.sku
            where v.status = 'active' and p.status = 'active' and i.on_hand - i.reserved >= 20
            order by md5(v.sku) limit @n
            """, new { n = SkuPoolSize + 2 }, commandTimeout: 120, cancellationToken: ct)), ct)).ToList();
        var hotSku = skus[0];
        var scarceSku = skus[1];
        var pool = skus.Skip(2).ToArray();
        // A join on the unnested pool walks the SKU index; `sku = any(@pool)` over 60,000 SKUs scanned every variant
        // against the array and ran past the command timeout.
        var distinctProducts = await db.QueryAsync(c => c.ExecuteScalarAsync<long>(new CommandDefinition(
            "select count(distinct v.product_id) from unnest(@pool::text[]) as s(sku) join variants v on v.sku = s.sku",
            new { pool }, commandTimeout: 120, cancellationToken: ct)), ct);
        var originalStock = (await db.QueryAsync(c => c.QueryAsync<(string Sku, int OnHand)>(
            "select sku, on_hand from inventory where sku = any(@s)", new { s = new[] { hotSku, scarceSku } }), ct)).ToList();
        Log.Info($"{pool.Length:N0} SKUs of {distinctProducts:N0} products; hot SKU {hotSku} (on_hand set to {HotStock:N0}), scarce SKU {scarceSku} (on_hand set to {ScarceStock}).");
        await db.ExecuteAsync("update inventory set on_hand = @HotStock, reserved = 0 where sku = @hotSku", new { HotStock, hotSku }, ct);

        var mail = Directory.CreateTempSubdirectory("headless-bench-mail-");
        var scenarios = new List<CommerceScenario>();
        LoadRun overhead;
        CheckoutProfile? profile = null;
        IReadOnlyDictionary<string, long> scarcity;
        ApiLogSummary apiLog;
        try
        {
            var env = new Dictionary<string, string>
            {
                ["Headless__Email__PickupDirectory"] = mail.FullName,
                // No reservation may expire (and be swept) while we compare reserved with the held orders.
                ["Headless__Checkout__ReservationMinutes"] = "240",
            };
            await using var api = await ApiProcess.StartAsync(apiDll, db.ConnectionString, readCache: true, Path.Combine(logDirectory, "api-checkout.log"), ct, env);
            using var gen = new LoadGen(options.Connections);

            // 1. What the load generator costs: the cheapest endpoint there is.
            Log.Step("Load generator overhead: GET /health/live");
            var live = new PreparedRequest(HttpMethod.Get, "/health/live", null, null);
            await gen.RunAsync("health warm-up", _ => live, long.MaxValue, options.Quick ? 2 : 5, Classify, api.Pid, XactsAsync, ct);
            overhead = await gen.RunAsync("health", _ => live, long.MaxValue, options.Quick ? 3 : 10, Classify, api.Pid, XactsAsync, ct);
            Require(overhead, ["200"], api);
            Log.Info($"{overhead.Rps:N0} req/s, p50 {BenchReport.Ms(overhead.P50Ms)}, p99 {BenchReport.Ms(overhead.P99Ms)}; load generator {overhead.LoadGenCores:F2} cores = {overhead.LoadGenUsPerRequest:F0} µs CPU per request; API {overhead.Cpu.Api:F2} cores.");

            // 2. Add-to-cart.
            Log.Step($"Add-to-cart: POST /api/v1/carts/{{token}}/lines over {AddCartCarts:N0} carts, {pool.Length:N0} SKUs");
            var addTokens = await CreateCartsAsync(AddCartCarts, _ => [], ct);
            var addPaths = addTokens.Select(t => $"/api/v1/carts/{t}/lines").ToArray();
            var addBodies = pool.Select(s => JsonSerializer.SerializeToUtf8Bytes(new { sku = s, quantity = 1 })).ToArray();
            var addRandom = new Random(11);
            var addPicks = Enumerable.Range(0, 1 << 20).Select(_ => addRandom.Next(addBodies.Length)).ToArray();
            long addOffset = 0;
            scenarios.Add(await MeasureAsync("add-to-cart", "Add to cart", api, gen,
                _ =>
                {
                    var from = addOffset;
                    return Task.FromResult<(Func<long, PreparedRequest>, long)>((i => new PreparedRequest(HttpMethod.Post, addPaths[(from + i) % addPaths.Length], addBodies[addPicks[(from + i) % addPicks.Length]], null), long.MaxValue));
                },
                run => addOffset += run.Requests, ["200"], null, ct));

            // 3. Checkout, one hot SKU.
            Log.Step($"Checkout, one hot SKU ({hotSku}, on_hand {HotStock:N0}): every cart holds 1 unit of it");
            long hotSold = 0;
            scenarios.Add(await MeasureAsync("checkout-hot", "Checkout, one hot SKU", api, gen,
                n => CheckoutRequestsAsync(n, _ => [hotSku], ct), run => hotSold += run.Count("201"),
                ["201"], async after =>
                {
                    var reserved = await db.QueryAsync(c => c.ExecuteScalarAsync<long>("select reserved from inventory where sku = @hotSku", new { hotSku }), ct);
                    return reserved == hotSold
                        ? string.Create(Inv, $"hot SKU reserved {reserved:N0} = the {hotSold:N0} checkouts that succeeded")
                        : throw new BenchFailure($"OVERSELL CHECK FAILED after {after}: the hot SKU has reserved {reserved:N0}, but {hotSold:N0} checkouts succeeded.");
                }, ct));

            // 4. Checkout, spread SKUs.
            Log.Step("Checkout, spread SKUs: carts of 1-3 random SKUs");
            var spreadRandom = new Random(23);
            Func<int, IReadOnlyList<string>> spreadLines = _ =>
            {
                var n = 1 + spreadRandom.Next(3);
                var set = new HashSet<string>(StringComparer.Ordinal);
                while (set.Count < n)
                {
                    set.Add(pool[spreadRandom.Next(pool.Length)]);
                }
                return [.. set];
            };
            scenarios.Add(await MeasureAsync("checkout-spread", "Checkout, spread SKUs", api, gen,
                n => CheckoutRequestsAsync(n, spreadLines, ct), _ => { }, ["201"], null, ct));

            // 5. Scarcity: 500 shoppers, 100 units.
            Log.Step($"Sold-out race: {ScarceCheckouts} concurrent checkouts of 1 unit of {scarceSku} with on_hand {ScarceStock}");
            await db.ExecuteAsync("update inventory set on_hand = @ScarceStock, reserved = 0 where sku = @scarceSku", new { ScarceStock, scarceSku }, ct);
            var (raceRequests, _) = await CheckoutRequestsAsync(ScarceCheckouts, _ => [scarceSku], ct);
            scarcity = await LoadGen.BurstAsync(Enumerable.Range(0, ScarceCheckouts).Select(i => raceRequests(i)).ToList(), Classify, ct);
            var sold = scarcity.GetValueOrDefault("201");
            var refused = scarcity.GetValueOrDefault("409 out-of-stock");
            var scarceRow = await db.QueryAsync(c => c.QuerySingleAsync<(int OnHand, int Reserved)>("select on_hand, reserved from inventory where sku = @scarceSku", new { scarceSku }), ct);
            var raceText = string.Create(Inv, $"{sold} created, {refused} refused out-of-stock{(scarcity.Count > 2 || sold + refused != ScarceCheckouts ? "; other: " + string.Join(", ", scarcity.Where(o => o.Key is not ("201" or "409 out-of-stock")).Select(o => $"{o.Key} ×{o.Value}")) : "")}; the SKU ends with on_hand {scarceRow.OnHand}, reserved {scarceRow.Reserved}");
            Log.Info(raceText);
            await CheckAsync($"the sold-out race ({raceText})", sold == ScarceStock && scarceRow.Reserved == ScarceStock ? string.Create(Inv, $"race: exactly {ScarceStock} of {ScarceCheckouts} sold") : "race: NOT exactly the stock sold", ct);
            if (sold != ScarceStock || scarceRow.Reserved != ScarceStock)
            {
                throw new BenchFailure($"OVERSELL CHECK FAILED in the sold-out race: {raceText} (expected exactly {ScarceStock} sold).");
            }

            // 6. Where the time goes: every statement of a few hundred checkouts, one at a time.
            profile = await ProfileAsync(api, spreadLines, ct);
            var (atStart, serving) = api.ProblemCounts();
            apiLog = new ApiLogSummary("checkout", api.LogPath, atStart, serving, [.. api.FirstProblems], api.StartupTime);
        }
        finally
        {
            Log.Info("Restoring the catalog: removing the bench's carts and orders, reserved back to 0, the two SKUs' stock as it was ...");
            await db.ResetCommerceAsync(CancellationToken.None);
            foreach (var (sku, onHand) in originalStock)
            {
                await db.ExecuteAsync("update inventory set on_hand = @onHand, reserved = 0 where sku = @sku", new { onHand, sku }, CancellationToken.None);
            }
            try
            {
                mail.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }

        var markdown = Markdown(startedUtc, clock.Elapsed, code, scenarios, overhead, scarcity, profile, apiLog, pool.Length, distinctProducts, hotSku);
        PrintSummary(scenarios, overhead);
        if (!options.WritesDocs)
        {
            var quickPath = Path.Combine(logDirectory, "quick-checkout-result.md");
            await File.WriteAllTextAsync(quickPath, markdown, CancellationToken.None);
            Log.Step($"A trial or other-build run: docs/benchmarks.md left alone; this run's checkout section is in {quickPath}.");
        }
        else
        {
            var docs = Path.Combine(RepoPaths.Root, "docs", "benchmarks.md");
            BenchReport.WriteInto(docs, markdown, StartMarker, EndMarker);
            Log.Step($"Wrote the checkout results to {docs}.");
        }
    }

    /// <summary>Warm-up chunks until throughput settles, then the measured runs, each followed by the oversell check.</summary>
    private async Task<CommerceScenario> MeasureAsync(string key, string title, ApiProcess api, LoadGen gen,
        Func<int, Task<(Func<long, PreparedRequest> Requests, long Count)>> prepare, Action<LoadRun> after, string[] allowed,
        Func<string, Task<string>>? extraCheck, CancellationToken ct)
    {
        var estimate = 1500.0;
        var rates = new List<double>();
        var warmupSeconds = 0;
        long warmupRequests = 0;
        async Task<LoadRun> One(string label, int seconds)
        {
            var needed = (int)Math.Ceiling((estimate * seconds * 1.6) + 500);
            var (requests, count) = await prepare(needed);
            var run = await gen.RunAsync(label, requests, count, seconds, Classify, api.Pid, XactsAsync, ct);
            after(run);
            Require(run, allowed, api);
            if (run.Requests >= count)
            {
                Log.Warn($"{label}: ran out of its {count:N0} prepared requests after {run.Seconds:F1} s (throughput is still completed / elapsed).");
            }
            estimate = Math.Max(run.Rps, 50);
            return run;
        }
        while (true)
        {
            var chunk = await One($"{key} warm-up", WarmupChunk);
            warmupSeconds += WarmupChunk;
            warmupRequests += chunk.Requests;
            rates.Add(chunk.Rps);
            var last = rates.TakeLast(BenchOptions.SettledChunks).ToArray();
            var settled = last.Length == BenchOptions.SettledChunks && (last.Max() - last.Min()) / last.Max() <= BenchOptions.SettledWithin;
            Log.Info($"warm-up {warmupSeconds,3} s: {BenchReport.Rps(chunk.Rps),7} req/s, p99 {BenchReport.Ms(chunk.P99Ms)}{(settled ? "  (settled)" : "")}");
            if (settled || warmupSeconds + WarmupChunk > MaxWarmup)
            {
                break;
            }
        }
        var runs = new List<LoadRun>();
        for (var i = 1; i <= options.Runs; i++)
        {
            var background = await Background.WaitForQuietAsync(api.Pid, BenchOptions.QuietBelowCores, TimeSpan.FromSeconds(options.Quick ? 5 : 15), ct);
            var run = await One($"{key} run {i}", MeasureSeconds);
            runs.Add(run with { Label = string.Create(Inv, $"{i}|{background:F2}") });
            Log.Info($"run {i}/{options.Runs}: {BenchReport.Rps(run.Rps)} req/s ({run.Requests:N0}; {run.OutcomeSummary}), p50 {BenchReport.Ms(run.P50Ms)}, p99 {BenchReport.Ms(run.P99Ms)}, max {BenchReport.Ms(run.MaxMs)} " +
                $"| cores: API {run.Cpu.Api:F2}, PostgreSQL {run.Cpu.Postgres:F2}, load gen {run.LoadGenCores:F2}, irq {run.Cpu.Interrupts:F2}, other {run.Cpu.Other:F2}, idle {run.Cpu.Idle:F2} | commits {run.XactCommit:N0}");
            var extra = extraCheck is null ? "" : await extraCheck($"{title} run {i}");
            await CheckAsync($"{title}, run {i}", extra, ct);
        }
        return new CommerceScenario(key, title, "", runs, warmupSeconds, warmupRequests);
    }

    /// <summary>Creates <paramref name="n"/> carts (destination DE, standard shipping) with the given lines and
    /// returns one checkout request per cart, each with its own Idempotency-Key.</summary>
    internal async Task<(Func<long, PreparedRequest> Requests, long Count)> CheckoutRequestsAsync(int n, Func<int, IReadOnlyList<string>> lines, CancellationToken ct)
    {
        var tokens = await CreateCartsAsync(n, lines, ct);
        var start = _cartsCreated;
        var requests = tokens.Select((t, i) => new PreparedRequest(HttpMethod.Post, "/api/v1/checkouts", JsonSerializer.SerializeToUtf8Bytes(new
        {
            cartToken = t,
            email = $"shopper{start + i}@example.com",
            shippingAddress = new { fullName = "Bench Shopper", line1 = "Hauptstraße 1", city = "Berlin", postalCode = "10115", country = "DE" },
            shippingMethod = "standard",
        }), Guid.NewGuid().ToString())).ToArray();
        return (i => requests[i], requests.Length);
    }

    private async Task<List<string>> CreateCartsAsync(int n, Func<int, IReadOnlyList<string>> lines, CancellationToken ct)
    {
        var tokens = new List<string>(n);
        var carts = new List<(Guid Id, byte[] Hash, IReadOnlyList<string> Lines)>(n);
        for (var i = 0; i < n; i++)
        {
            var token = CartTokens.New();
            tokens.Add(token);
            carts.Add((Guid.CreateVersion7(), CartTokens.Hash(token), lines(i)));
        }
        await using var conn = await db.DataSource.OpenConnectionAsync(ct);
        await using (var copy = await conn.BeginBinaryImportAsync("copy carts (id, token_hash, currency, country, shipping_method) from stdin (format binary)", ct))
        {
            foreach (var c in carts)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(c.Id, NpgsqlDbType.Uuid, ct);
                await copy.WriteAsync(c.Hash, NpgsqlDbType.Bytea, ct);
                await copy.WriteAsync(_currency, NpgsqlDbType.Char, ct);
                await copy.WriteAsync("DE", NpgsqlDbType.Text, ct);
                await copy.WriteAsync("standard", NpgsqlDbType.Text, ct);
            }
            await copy.CompleteAsync(ct);
        }
        await using (var copy = await conn.BeginBinaryImportAsync("copy cart_lines (cart_id, sku, quantity) from stdin (format binary)", ct))
        {
            foreach (var c in carts)
            {
                foreach (var sku in c.Lines)
                {
                    await copy.StartRowAsync(ct);
                    await copy.WriteAsync(c.Id, NpgsqlDbType.Uuid, ct);
                    await copy.WriteAsync(sku, NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(1, NpgsqlDbType.Integer, ct);
                }
            }
            await copy.CompleteAsync(ct);
        }
        // Statistics as a live shop has them: without, the planner takes the freshly copied carts for a few pages and the
        // first runs measure sequential scans until autovacuum happens to analyze them mid-run.
        await conn.ExecuteAsync(new CommandDefinition("analyze carts, cart_lines", cancellationToken: ct));
        _cartsCreated += n;
        return tokens;
    }

    /// <summary>No inventory row over-reserved or negative, and every SKU's reserved equals the units of
    /// its lines in orders whose reservation is held.</summary>
    private async Task CheckAsync(string after, string? extra, CancellationToken ct)
    {
        var row = await db.QueryAsync(c => c.QuerySingleAsync<(long Bad, long Mismatched, long Held, long Reserved)>(new CommandDefinition("""
            select (select count(*) from inventory where reserved > on_hand or on_hand < 0 or reserved < 0),
                   (select count(*) from inventory i
                    full join (select ol.sku, sum(ol.quantity) as units from order_lines ol join orders o on o.id = ol.order_id
                               where o.reservation = 'held' group by ol.sku) h on h.sku = i.sku
                    where coalesce(i.reserved, -1) <> coalesce(h.units, 0)),
                   (select count(*) from orders where reservation = 'held'),
                   (select coalesce(sum(reserved), 0) from inventory)
            """, commandTimeout: 120, cancellationToken: ct)), ct);
        var check = new OversellCheck(after, row.Bad, row.Mismatched, row.Held, row.Reserved, extra ?? "");
        _checks.Add(check);
        Log.Info($"oversell check after {after}: {(check.Ok ? "OK" : "FAILED")} — {row.Bad} rows over-reserved or negative, {row.Mismatched} SKUs whose reserved differs from their held order lines; {row.Held:N0} held orders, {row.Reserved:N0} units reserved{(string.IsNullOrEmpty(extra) ? "" : "; " + extra)}.");
        if (!check.Ok)
        {
            throw new BenchFailure($"OVERSELL CHECK FAILED after {after}: {row.Bad} inventory rows with reserved > on_hand or a negative count, {row.Mismatched} SKUs whose reserved differs from the units held by their orders.");
        }
    }

    /// <summary>Logs every statement PostgreSQL runs (log_min_duration_statement = 0) for a few hundred
    /// checkouts sent one at a time, and adds them up per statement.</summary>
    private async Task<CheckoutProfile?> ProfileAsync(ApiProcess api, Func<int, IReadOnlyList<string>> lines, CancellationToken ct)
    {
        Log.Step($"Profile: {ProfileCheckouts} spread-SKU checkouts one at a time, every statement logged by PostgreSQL");
        if (db.ServerLogPath is not { } logPath || !File.Exists(logPath))
        {
            Log.Warn("Not our own PostgreSQL cluster: no server log to read; skipping the statement profile.");
            return null;
        }
        var (requests, count) = await CheckoutRequestsAsync(ProfileCheckouts, lines, ct);
        using var one = new LoadGen(1);
        // Warm the single connection's path first (a few checkouts, not logged).
        var (warm, warmCount) = await CheckoutRequestsAsync(20, lines, ct);
        await one.RunAsync("profile warm-up", warm, warmCount, 30, Classify, api.Pid, XactsAsync, ct);
        var offset = new FileInfo(logPath).Length;
        await db.AdminExecuteAsync("alter system set log_min_duration_statement = 0; alter system set log_line_prefix = '%m [%p] %a: '", ct);
        await db.AdminExecuteAsync("select pg_reload_conf()", ct);
        await Task.Delay(500, ct);
        LoadRun run;
        try
        {
            run = await one.RunAsync("profile", requests, count, 120, Classify, api.Pid, XactsAsync, ct);
        }
        finally
        {
            await db.AdminExecuteAsync("alter system reset log_min_duration_statement; alter system reset log_line_prefix", CancellationToken.None);
            await db.AdminExecuteAsync("select pg_reload_conf()", CancellationToken.None);
        }
        Require(run, ["201"], api);
        await Task.Delay(300, ct);
        string text;
        await using (var stream = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            stream.Seek(offset, SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            text = await reader.ReadToEndAsync(ct);
        }
        var stats = new Dictionary<string, (long Executions, double Ms)>(StringComparer.Ordinal);
        var entry = new Regex(@"^\S+ \S+ \S+ \[\d+\] headless-api: LOG:  duration: ([0-9.]+) ms  (parse|bind|execute|statement)[^:]*: (.*)$");
        string? current = null;
        string? kind = null;
        double ms = 0;
        void Flush()
        {
            if (current is null)
            {
                return;
            }
            var sql = Regex.Replace(current, @"\s+", " ").Trim();
            var keyText = sql.Length > 90 ? sql[..90] + "…" : sql;
            var (e, t) = stats.GetValueOrDefault(keyText);
            stats[keyText] = (e + (kind is "execute" or "statement" ? 1 : 0), t + ms);
            current = null;
        }
        foreach (var line in text.Split('\n'))
        {
            var m = entry.Match(line);
            if (m.Success)
            {
                Flush();
                ms = double.Parse(m.Groups[1].Value, Inv);
                kind = m.Groups[2].Value;
                current = m.Groups[3].Value;
            }
            else if (current is not null && line.StartsWith('\t'))
            {
                current += " " + line.Trim();
            }
            else
            {
                Flush();
            }
        }
        Flush();
        var n = (int)Math.Max(1, run.Count("201"));
        var top = stats.Select(s => new StatementStat(s.Key, s.Value.Executions, s.Value.Ms)).OrderByDescending(s => s.TotalMs).ToList();
        var profile = new CheckoutProfile(n, run.SortedLatencyMs.Average(), run.P50Ms, top.Sum(s => s.Executions) / (double)n,
            top.Sum(s => s.TotalMs) / n, run.XactCommit / (double)n, top.Take(14).ToList(),
            top.Count == 0 ? "PostgreSQL logged no statement of the API (log_line_prefix?)." : null);
        Log.Info($"{n} checkouts one at a time: mean {BenchReport.Ms(profile.MeanLatencyMs)}, p50 {BenchReport.Ms(profile.P50Ms)}; {profile.StatementsPerCheckout:F1} statements and {BenchReport.Ms(profile.ServerMsPerCheckout)} of PostgreSQL statement time per checkout; {profile.XactsPerCheckout:F2} commits per checkout.");
        foreach (var s in top.Take(8))
        {
            Log.Info($"  {s.TotalMs / n,7:F3} ms/checkout  {s.Executions / (double)n,5:F2}×  {s.Statement}");
        }
        return profile;
    }

    private async Task<(long, long)> XactsAsync(CancellationToken ct)
    {
        await Task.Delay(1100, ct);
        return await db.QueryAsync(c => c.QuerySingleAsync<(long, long)>(
            "select xact_commit, xact_rollback from pg_stat_database where datname = current_database()"), ct);
    }

    private static string Classify(int status, string? body)
    {
        if (status < 400)
        {
            return status.ToString(Inv);
        }
        var type = body is null ? null : Regex.Match(body, "\"type\"\\s*:\\s*\"([^\"]*)\"").Groups[1].Value;
        var name = string.IsNullOrEmpty(type) ? "" : " " + type[(type.LastIndexOf('/') + 1)..];
        return status.ToString(Inv) + name;
    }

    private void Require(LoadRun run, string[] allowed, ApiProcess api)
    {
        if (api.HasExited)
        {
            throw new BenchFailure(api.ExitDescription());
        }
        var unexpected = run.Outcomes.Where(o => !allowed.Contains(o.Key)).ToList();
        if (run.TransportErrors > 0 || unexpected.Count > 0)
        {
            throw new BenchFailure($"{run.Label}: unexpected responses ({run.OutcomeSummary}) out of {run.Requests:N0}. Figures with errors are not valid; look at {api.LogPath}.");
        }
    }

    private static void PrintSummary(List<CommerceScenario> scenarios, LoadRun overhead)
    {
        Log.Step("Checkout results (medians):");
        foreach (var s in scenarios)
        {
            Log.Info($"{s.Title,-24} {BenchReport.Rps(s.MedianRps),8} req/s  p50 {BenchReport.Ms(s.MedianP50),9}  p99 {BenchReport.Ms(s.MedianP99),9}");
        }
        Log.Info($"{"GET /health/live",-24} {BenchReport.Rps(overhead.Rps),8} req/s  (load generator ceiling; {overhead.LoadGenUsPerRequest:F0} µs CPU per request)");
    }

    private string Markdown(DateTime startedUtc, TimeSpan duration, string code, List<CommerceScenario> scenarios, LoadRun overhead,
        IReadOnlyDictionary<string, long> scarcity, CheckoutProfile? profile, ApiLogSummary apiLog, int poolSize, long poolProducts, string hotSku)
    {
        var md = new StringBuilder();
        var spread = scenarios.Single(s => s.Key == "checkout-spread");
        var aimMet = spread.MedianRps >= AimCheckoutsPerSecond;
        md.AppendLine(StartMarker);
        md.AppendLine("## Cart and checkout: add-to-cart, checkout, zero oversell");
        md.AppendLine();
        md.AppendLine(Inv, $"Measured {startedUtc:yyyy-MM-dd HH:mm} UTC with `./build.sh bench --only=checkout{(options.Quick ? " --quick" : "")}` (took {duration.TotalMinutes:F1} min; code {code}). `./build.sh bench` runs this section after the catalog reads.");
        md.AppendLine();
        md.AppendLine(Inv, $"**Aim (≥ {AimCheckoutsPerSecond:N0} checkouts/s on spread SKUs, {options.Connections} in flight, PostgreSQL on the same machine): {(aimMet ? "met" : "NOT met")}** — {BenchReport.Rps(spread.MedianRps)} checkouts/s, p99 {BenchReport.Ms(spread.MedianP99)}.");
        md.AppendLine();
        var add = scenarios.Single(s => s.Key == "add-to-cart");
        var addAimMet = add.MedianRps >= AimAddToCartPerSecond && add.MedianP99 < AimAddToCartP99Ms;
        md.AppendLine(Inv, $"**Aim (≥ {AimAddToCartPerSecond:N0} adds to cart/s with p99 under {AimAddToCartP99Ms:N0} ms, {options.Connections} in flight): {(addAimMet ? "met" : "NOT met")}** — {BenchReport.Rps(add.MedianRps)} requests/s, p99 {BenchReport.Ms(add.MedianP99)}.");
        md.AppendLine();
        md.AppendLine(Inv, $"| Scenario | Requests/s | p50 | p90 | p99 | max | Requests per run | Outcomes (median run) | Spread of {options.Runs} runs: req/s · p99 |");
        md.AppendLine("|---|--:|--:|--:|--:|--:|--:|---|---|");
        foreach (var s in scenarios)
        {
            md.AppendLine(Inv, $"| {s.Title} | {BenchReport.Rps(s.MedianRps)} | {BenchReport.Ms(s.MedianP50)} | {BenchReport.Ms(s.MedianP90)} | {BenchReport.Ms(s.MedianP99)} | {BenchReport.Ms(s.MedianMax)} | {s.MedianRun.Requests:N0} | {s.MedianRun.OutcomeSummary} | {BenchReport.Rps(s.Runs.Min(r => r.Rps))}–{BenchReport.Rps(s.Runs.Max(r => r.Rps))} · {BenchReport.Ms(s.Runs.Min(r => r.P99Ms))}–{BenchReport.Ms(s.Runs.Max(r => r.P99Ms))} |");
        }
        md.AppendLine(Inv, $"| *Load generator ceiling: `GET /health/live`* | {BenchReport.Rps(overhead.Rps)} | {BenchReport.Ms(overhead.P50Ms)} | {BenchReport.Ms(overhead.P90Ms)} | {BenchReport.Ms(overhead.P99Ms)} | {BenchReport.Ms(overhead.MaxMs)} | {overhead.Requests:N0} | {overhead.OutcomeSummary} | one run |");
        md.AppendLine();
        md.AppendLine(Inv, $"Each figure is the median of {options.Runs} measured run{(options.Runs == 1 ? "" : "s")} of {MeasureSeconds} s with {options.Connections} requests always in flight (max: median of the runs' maxima); latencies are exact per-request times (send to last byte), sorted. A run fails on any transport error or unexpected status.");
        md.AppendLine();
        md.AppendLine("**Zero oversell** (SQL after every measured run: no inventory row with reserved > on_hand or a negative count, and every SKU's `reserved` equal to the units of its lines in orders whose reservation is `held`):");
        md.AppendLine();
        md.AppendLine("| After | Over-reserved or negative rows | SKUs with reserved ≠ held units | Held orders | Units reserved | Also checked |");
        md.AppendLine("|---|--:|--:|--:|--:|---|");
        foreach (var c in _checks)
        {
            md.AppendLine(Inv, $"| {c.After} | {c.BadRows} | {c.Mismatched} | {c.HeldOrders:N0} | {c.ReservedTotal:N0} | {(c.Extra.Length == 0 ? "—" : c.Extra)} |");
        }
        md.AppendLine();
        var sold = scarcity.GetValueOrDefault("201");
        md.AppendLine(Inv, $"**Sold-out race**: {ScarceCheckouts} checkouts of 1 unit of a SKU with on_hand {ScarceStock}, all released at once on {ScarceCheckouts} connections: **{sold} succeeded** (201), {scarcity.GetValueOrDefault("409 out-of-stock")} were refused with 409 `out-of-stock`{(sold == ScarceStock ? " — exactly the stock, none oversold" : " — NOT exactly the stock")}.");
        md.AppendLine();
        md.AppendLine(Inv, $"**Where the CPU went** (the median run of each scenario, in cores busy out of {Environment.ProcessorCount}; from /proc) and what one request costs:");
        md.AppendLine();
        md.AppendLine("| Scenario | API | PostgreSQL | load generator | kernel interrupts | other | idle | API CPU per request | PostgreSQL CPU per request | commits per request |");
        md.AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var s in scenarios.Append(new CommerceScenario("health", "*GET /health/live*", "", [overhead], 0, 0)))
        {
            var r = s.MedianRun;
            var c = r.Cpu;
            string PerRequest(double cores) => r.Requests == 0 ? "—" : string.Create(Inv, $"{cores * r.Seconds * 1000 / r.Requests:F2} ms");
            md.AppendLine(Inv, $"| {s.Title} | {c.Api:F2} | {c.Postgres:F2} | {r.LoadGenCores:F2} | {c.Interrupts:F2} | {c.Other:F2} | {c.Idle:F2} | {PerRequest(c.Api)} | {PerRequest(c.Postgres)} | {(r.Requests == 0 ? 0 : r.XactCommit / (double)r.Requests):F2} |");
        }
        md.AppendLine();
        if (profile is not null)
        {
            md.AppendLine(Inv, $"**Checkout, one at a time** ({profile.Checkouts} spread-SKU checkouts on one connection, every statement logged with `log_min_duration_statement = 0`): mean {BenchReport.Ms(profile.MeanLatencyMs)}, p50 {BenchReport.Ms(profile.P50Ms)}; per checkout {profile.StatementsPerCheckout:F1} statements taking {BenchReport.Ms(profile.ServerMsPerCheckout)} of PostgreSQL time (parse + bind + execute), {profile.XactsPerCheckout:F2} commits. The statements that cost most:");
            md.AppendLine();
            md.AppendLine("| Statement (start) | Executions per checkout | PostgreSQL time per checkout |");
            md.AppendLine("|---|--:|--:|");
            foreach (var s in profile.Top)
            {
                md.AppendLine(Inv, $"| `{s.Statement.Replace("|", "\\|", StringComparison.Ordinal).Replace("`", "'", StringComparison.Ordinal)}` | {s.Executions / (double)profile.Checkouts:F2} | {s.TotalMs / profile.Checkouts:F3} ms |");
            }
            md.AppendLine();
        }
        md.AppendLine("<details><summary>Every measured run</summary>");
        md.AppendLine();
        md.AppendLine("| Scenario | Run | Requests/s | p50 | p99 | max | Outcomes | Other work during the run (cores) | Other work just before (cores) |");
        md.AppendLine("|---|--:|--:|--:|--:|--:|---|--:|--:|");
        foreach (var s in scenarios)
        {
            foreach (var r in s.Runs)
            {
                var parts = r.Label.Split('|');
                md.AppendLine(Inv, $"| {s.Title} | {parts[0]} | {BenchReport.Rps(r.Rps)} | {BenchReport.Ms(r.P50Ms)} | {BenchReport.Ms(r.P99Ms)} | {BenchReport.Ms(r.MaxMs)} | {r.OutcomeSummary} | {r.Cpu.Other:F2} | {(parts.Length > 1 ? parts[1] : "?")} |");
            }
        }
        md.AppendLine();
        md.AppendLine("</details>");
        md.AppendLine();
        md.AppendLine("### How it was measured");
        md.AppendLine();
        md.AppendLine("- **Command**: `./build.sh bench --only=checkout` (or `./build.sh bench`, which runs both sections) — the cake task builds the API in Release and runs `bench/Headless.Bench`, which starts the API (`dotnet api/bin/Release/net10.0/Headless.Api.dll`, read cache on, the shipped configuration) as a child process and drives it with its own C# load generator. `--quick` is a short trial run that leaves this file alone. `HEADLESS_BENCH_PG_PORT` / `HEADLESS_BENCH_API_PORT` move the bench cluster and the API to other ports.");
        md.AppendLine(Inv, $"- **Machine**: {machine.Cores} cores (`nproc`), {machine.CpuModel}, {machine.Ram} RAM, {machine.Os}, {machine.Kernel}; the API, PostgreSQL and the load generator share the {machine.Cores} cores.");
        md.AppendLine(Inv, $"- **API**: {machine.DotNet}, Release build, {machine.ApiGc}; Kestrel on 127.0.0.1:{BenchOptions.ApiPort}, logging at Warning; the built-in test payment provider (no network call); `Headless__Checkout__ReservationMinutes=240` so no reservation expires during the section.");
        md.AppendLine(Inv, $"- **Database**: {machine.PostgresVersion.Split(',')[0]}; {db.Description}; {machine.PostgresSettings}; the demo pricing rules (`DemoPricing`: `standard` ships to DE, DE VAT 19 %).");
        md.AppendLine(Inv, $"- **Dataset**: the {dataset.Products:N0}-product demo catalog ({dataset.Variants:N0} variants). SKU pool: {poolSize:N0} SKUs of {poolProducts:N0} products (active, ≥ 20 available, hash-ordered over the whole catalog). The section starts and ends by emptying the carts, orders and idempotency tables and setting `reserved` back to 0, and restores the two SKUs whose stock it changes.");
        md.AppendLine(Inv, $"- **Carts** are created in SQL (binary COPY of `carts` and `cart_lines`, tokens from `CartTokens`, destination DE, shipping method `standard`) before each run, so setup is never timed: add-to-cart spreads its requests round-robin over {AddCartCarts:N0} empty carts (a cart ends with a few lines) with a random SKU of the pool each; checkout runs get one fresh cart per request (1.6 × the expected count), each checkout with its own `Idempotency-Key`, guest email and a DE address.");
        md.AppendLine(Inv, $"  - hot SKU: every cart holds 1 unit of `{hotSku}` (on_hand {HotStock:N0}), so every checkout locks and updates the same inventory row;");
        md.AppendLine("  - spread SKUs: every cart holds 1–3 distinct random SKUs of the pool, 1 unit each.");
        md.AppendLine(Inv, $"- **Load generator**: in the bench process, {options.Connections} workers each with one keep-alive HTTP/1.1 connection (`SocketsHttpHandler`), closed loop (the next request when the previous answered; no coordinated-omission correction), every latency recorded. Its ceiling, measured on `GET /health/live` (which does nothing): {BenchReport.Rps(overhead.Rps)} req/s at {overhead.LoadGenCores:F2} cores, i.e. {overhead.LoadGenUsPerRequest:F0} µs of its CPU per request; at the checkout rates above it uses {string.Join(", ", scenarios.Select(s => string.Create(Inv, $"{s.MedianRun.LoadGenCores:F2} cores ({s.Title.ToLowerInvariant()})")))} — not the bottleneck.");
        md.AppendLine(Inv, $"- **Warm-up**: {WarmupChunk} s runs until the last {BenchOptions.SettledChunks} agree on throughput within {BenchOptions.SettledWithin:P0} (at most {MaxWarmup} s): {string.Join("; ", scenarios.Select(s => string.Create(Inv, $"{s.Title.ToLowerInvariant()} {s.WarmupSeconds} s ({s.WarmupRequests:N0} requests)")))}.");
        md.AppendLine("- **Commits per request** are `pg_stat_database.xact_commit` deltas over the run: every transaction, read-only ones (each autocommitted SELECT round trip) and the API's background consumers included, so it counts round trips in their own transaction rather than WAL flushes; PostgreSQL reports them with up to a second's delay.");
        md.AppendLine(Inv, $"- API log: {apiLog.Serving.Warnings} warnings and {apiLog.Serving.Errors} errors under load; {apiLog.AtStart.Warnings} warnings and {apiLog.AtStart.Errors} errors while starting.");
        var background = scenarios.SelectMany(s => s.Runs).Max(r => double.TryParse(r.Label.Split('|').ElementAtOrDefault(1), NumberStyles.Float, Inv, out var b) ? b : 0);
        var otherDuring = scenarios.Max(s => s.MedianRun.Cpu.Other);
        md.AppendLine(Inv, $"- Other work on the machine: at most {background:F2} cores busy just before a measured run (runs wait up to 15 s for it to drop below {BenchOptions.QuietBelowCores:F2}); at most {otherDuring:F2} cores of other work during a median run.");
        if (background > BenchOptions.QuietBelowCores || otherDuring > 0.3)
        {
            md.AppendLine("- **The machine was not idle during this run** (other engineers' builds and tests were using CPU): the figures are lower, and the tails longer, than on a quiet machine.");
        }
        md.AppendLine(EndMarker);
        return md.ToString();
    }
}
