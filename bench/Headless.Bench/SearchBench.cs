using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;

namespace Headless.Bench;

/// <summary>
/// Product search on the PostgreSQL engine over the 100,000-product catalog: single-word, two-word,
/// typo and faceted queries, and single words whose counts can never come from the count cache (a distinct
/// no-op price filter per request), each measured at 1 request in flight (what one shopper waits: the p95 aim), at 4
/// (2 cores kept busy) and at 32 (the throughput aim, as many in flight as the catalog bench's connections).
/// Latencies are timed per request by this harness (not wrk: the percentiles must be per query type and exact
/// at p95). Each run also reports how the counts were answered (the API's count-cache counters scraped from
/// `/metrics` before and after), so the cache's share of the gain is visible. Writes its section between
/// <c>&lt;!-- bench:search --&gt;</c> markers in docs/benchmarks.md.
/// </summary>
internal sealed class SearchBench(BenchOptions options)
{
    public const string StartMarker = "<!-- bench:search -->";
    public const string EndMarker = "<!-- /bench:search -->";
    public const double AimP95Ms = 25;
    public const double AimRpsAt32 = 400;
    private static readonly int[] Levels = [1, 4, 32];
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private int WarmupSeconds => options.Quick ? 2 : 5;
    private int MeasureSeconds => options.Quick ? 4 : 15;

    /// <param name="UniqueCounts">Each request gets its own `maxPrice` far above every price: the same results, but
    /// a count-cache key no other request has, so every request counts.</param>
    internal sealed record QueryType(string Key, string Title, string Example, IReadOnlyList<string> Paths, bool UniqueCounts = false);

    internal sealed record Measurement(string Type, int InFlight, long Requests, double Seconds, double P50Ms, double P95Ms, double P99Ms, double MaxMs,
        double MeanTotal, double ApiCores, double PostgresCores, double OtherCores, CountLookups Counts)
    {
        public double Rps => Requests / Seconds;
    }

    /// <summary>Count-cache lookups during one run: served fresh, joined another request's count, counted.</summary>
    internal sealed record CountLookups(long Hits, long Shared, long Counted)
    {
        public long All => Hits + Shared + Counted;

        public static CountLookups operator -(CountLookups a, CountLookups b) => new(a.Hits - b.Hits, a.Shared - b.Shared, a.Counted - b.Counted);

        public string Describe() => All == 0 ? "n/a"
            : string.Create(Inv, $"{100.0 * Hits / All:F0}% / {100.0 * Shared / All:F0}% / {100.0 * Counted / All:F0}%");
    }

    private static long _uniquePrice = 1_000_000_000;

    /// <summary>Query paths drawn from the catalog itself, deterministically (ordered, no randomness).</summary>
    public static async Task<List<QueryType>> BuildQueriesAsync(BenchDatabase db, CancellationToken ct)
    {
        await using var conn = await db.DataSource.OpenConnectionAsync(ct);
        // Words that titles use (common and rare ones alike), two consecutive title words, categories.
        var words = (await conn.QueryAsync<string>(new CommandDefinition("""
            select word from search_words where docs >= 5 and length(word) >= 4 and word ~ '^[a-z]+$' order by md5(word) limit 120
            """, cancellationToken: ct))).ToList();
        var pairs = (await conn.QueryAsync<string>(new CommandDefinition("""
            select distinct on (md5(pair)) pair from (
                select lower(split_part(title, ' ', 2) || ' ' || split_part(title, ' ', 3)) as pair
                from products where status = 'active' and split_part(title, ' ', 3) <> '') t
            where pair ~ '^[a-z]+ [a-z]+$' order by md5(pair) limit 120
            """, cancellationToken: ct))).ToList();
        var categories = (await conn.QueryAsync<string>(new CommandDefinition(
            "select slug from categories where parent_id is not null order by md5(slug) limit 10", cancellationToken: ct))).ToList();
        var known = (await conn.QueryAsync<string>(new CommandDefinition("select word from search_words", cancellationToken: ct))).ToHashSet();
        if (words.Count < 20 || pairs.Count < 20)
        {
            throw new BenchFailure($"The search index holds too few words ({words.Count}) or title pairs ({pairs.Count}): was it built?");
        }
        // One letter replaced in the middle of each word, keeping only misspellings that are not words themselves.
        var typos = words.Select(w =>
            {
                var chars = w.ToCharArray();
                var i = chars.Length / 2;
                chars[i] = chars[i] == 'z' ? 'a' : (char)(chars[i] + 1);
                return new string(chars);
            })
            .Where(t => !known.Contains(t)).ToList();
        static string Q(string text) => "/api/v1/search?q=" + Uri.EscapeDataString(text);
        var faceted = words.Select((w, i) => Q(w) + "&facets=true&inStock=true" + (i % 3 == 0 ? "&category=" + categories[i / 3 % categories.Count] : "")).ToList();
        return
        [
            new("single-word", "Single word", Q(words[0]), words.Select(Q).ToList()),
            new("two-word", "Two words", Q(pairs[0]), pairs.Select(Q).ToList()),
            new("typo", "One-letter typo", Q(typos[0]), typos.Select(Q).ToList()),
            new("faceted", "Faceted (facets, in stock, category on every 3rd)", faceted[0], faceted),
            new("single-word-uncached", "Single word, counts never cached", Q(words[0]) + "&maxPrice=1000000001", words.Select(Q).ToList(), UniqueCounts: true),
        ];
    }

    /// <summary>Waits until the indexer has handled every catalog event (the 100,000 documents are built
    /// from the demo loader's catalog.loaded event the first time the API starts on this database).</summary>
    public static async Task WaitForIndexAsync(HttpClient http, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var lastLog = TimeSpan.Zero;
        while (true)
        {
            string pending = "?";
            try
            {
                var health = JsonNode.Parse(await http.GetStringAsync("/health/ready", ct));
                pending = health?["checks"]?["search"]?["pendingEvents"]?.GetValue<string>() ?? "?";
                if (pending == "0")
                {
                    Log.Info($"Search index is up to date ({clock.Elapsed.TotalSeconds:F0} s).");
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // 503 while the index is still behind or starting: keep waiting.
            }
            if (clock.Elapsed > TimeSpan.FromMinutes(15))
            {
                throw new BenchFailure("The search index was not built within 15 minutes (see the API log).");
            }
            if (clock.Elapsed - lastLog > TimeSpan.FromSeconds(15))
            {
                lastLog = clock.Elapsed;
                Log.Info($"  waiting for the search indexer ({pending} events pending, {clock.Elapsed.TotalSeconds:F0} s) ...");
            }
            await Task.Delay(500, ct);
        }
    }

    /// <summary>The most cores other work kept busy just before a measured run.</summary>
    public double BackgroundCores { get; private set; }

    public async Task<List<Measurement>> MeasureAsync(ApiProcess api, IReadOnlyList<QueryType> types, CancellationToken ct)
    {
        Log.Info("Checking that every search path answers 200 ...");
        foreach (var path in types.SelectMany(t => t.Paths))
        {
            using var response = await api.Http.GetAsync(path, ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new BenchFailure($"{path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
            }
        }
        var results = new List<Measurement>();
        foreach (var type in types)
        {
            Log.Step($"Search, {type.Title}: {type.Paths.Count} queries, warm-up {WarmupSeconds} s, then {MeasureSeconds} s at each of {string.Join(" and ", Levels)} in flight");
            await RunAsync(api, type, 4, WarmupSeconds, ct);
            foreach (var level in Levels)
            {
                var busy = await Background.WaitForQuietAsync(api.Pid, BenchOptions.QuietBelowCores, TimeSpan.FromSeconds(options.Quick ? 5 : 30), ct);
                BackgroundCores = Math.Max(BackgroundCores, busy);
                var countsBefore = await CountLookupsAsync(api, ct);
                var cpu = new CpuSampler(api.Pid);
                var (latencies, seconds) = await RunAsync(api, type, level, MeasureSeconds, ct);
                var share = cpu.Stop();
                var counts = await CountLookupsAsync(api, ct) - countsBefore;
                latencies.Sort();
                var m = new Measurement(type.Key, level, latencies.Count, seconds, Pct(latencies, 50), Pct(latencies, 95), Pct(latencies, 99), latencies[^1],
                    latencies.Average(), share.Api, share.Postgres, share.Other + share.Wrk, counts);
                results.Add(m);
                Log.Info($"{level} in flight: {m.Rps:F0} req/s, p50 {m.P50Ms:F1} ms, p95 {m.P95Ms:F1} ms, p99 {m.P99Ms:F1} ms, max {m.MaxMs:F1} ms " +
                    $"| CPU cores: API {share.Api:F2}, PostgreSQL {share.Postgres:F2}, other {share.Other:F2} | counts cached/shared/counted {counts.Describe()}");
            }
        }
        return results;
    }

    /// <summary>The API's count-cache counters (`headless.search.count_cache` by result) from `/metrics`, which
    /// answers loopback callers. Zeros when the API has none (a build before the cache).</summary>
    private static async Task<CountLookups> CountLookupsAsync(ApiProcess api, CancellationToken ct)
    {
        using var response = await api.Http.GetAsync("/metrics", ct);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return new CountLookups(0, 0, 0);
        }
        long hits = 0, shared = 0, counted = 0;
        foreach (var line in (await response.Content.ReadAsStringAsync(ct)).Split('\n'))
        {
            var close = line.IndexOf('}', StringComparison.Ordinal);
            if (!line.StartsWith("headless_search_count_cache", StringComparison.Ordinal) || close < 0)
            {
                continue;
            }
            var value = (long)double.Parse(line[(close + 1)..].Trim().Split(' ')[0], Inv);
            if (line.Contains("result=\"hit\"", StringComparison.Ordinal))
            {
                hits += value;
            }
            else if (line.Contains("result=\"shared\"", StringComparison.Ordinal))
            {
                shared += value;
            }
            else
            {
                counted += value; // miss or uncached: a count ran
            }
        }
        return new CountLookups(hits, shared, counted);
    }

    private static double Pct(List<double> sorted, int p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary><paramref name="inFlight"/> workers, each sending its next query as soon as the previous answers.</summary>
    private static async Task<(List<double> LatenciesMs, double Seconds)> RunAsync(ApiProcess api, QueryType type, int inFlight, int seconds, CancellationToken ct)
    {
        var paths = type.Paths;
        // One connection per worker: the shared client allows 16, which would queue half of 32 in the client.
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = inFlight, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = api.Http.BaseAddress,
            Timeout = api.Http.Timeout,
        };
        var all = new List<double>[inFlight];
        var clock = Stopwatch.StartNew();
        var until = TimeSpan.FromSeconds(seconds);
        await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async w =>
        {
            var mine = all[w] = [];
            var i = w * 7;
            while (clock.Elapsed < until)
            {
                var path = paths[i++ % paths.Count];
                if (type.UniqueCounts)
                {
                    path += "&maxPrice=" + Interlocked.Increment(ref _uniquePrice).ToString(Inv);
                }
                var started = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync(path, HttpCompletionOption.ResponseContentRead, ct);
                var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw new BenchFailure($"{path} answered {(int)response.StatusCode} under load: figures with errors are not valid.");
                }
                mine.Add(ms);
            }
        }));
        return (all.SelectMany(l => l).ToList(), clock.Elapsed.TotalSeconds);
    }

    public string Markdown(DateTime startedUtc, TimeSpan took, string code, MachineInfo machine, Dataset dataset, long documents,
        IReadOnlyList<QueryType> types, IReadOnlyList<Measurement> results, double backgroundCores)
    {
        var md = new StringBuilder();
        md.AppendLine(StartMarker);
        md.AppendLine("## Product search (PostgreSQL engine)");
        md.AppendLine();
        md.AppendLine(Inv, $"Measured {startedUtc:yyyy-MM-dd HH:mm} UTC with `./build.sh bench --only=search{(options.Quick ? " --quick" : "")}` (took {took.TotalMinutes:F1} min; code {code}).");
        md.AppendLine(Inv, $"{dataset.ActiveProducts:N0} active of {dataset.Products:N0} products ({documents:N0} search documents), {machine.Cores} cores ({machine.CpuModel}), {machine.PostgresVersion.Split(',')[0]} on the same machine.");
        md.AppendLine();
        var single = results.Where(r => r.InFlight == 1).ToList();
        var worst = single.MaxBy(r => r.P95Ms)!;
        var worstTitle = types.Single(t => t.Key == worst.Type).Title.ToLowerInvariant();
        md.AppendLine(worst.P95Ms < AimP95Ms
            ? string.Create(Inv, $"**Aim (p95 under {AimP95Ms:0} ms, one request in flight): met** for every query type; the slowest, {worstTitle}, has p95 {worst.P95Ms:F1} ms.")
            : string.Create(Inv, $"**Aim (p95 under {AimP95Ms:0} ms, one request in flight): NOT met**: {worstTitle} has p95 {worst.P95Ms:F1} ms."));
        var busiest = results.Where(r => r.InFlight == 32).ToList();
        if (busiest.Count > 0)
        {
            var slowest = busiest.MinBy(r => r.Rps)!;
            var slowestTitle = types.Single(t => t.Key == slowest.Type).Title.ToLowerInvariant();
            md.AppendLine();
            md.AppendLine(slowest.Rps >= AimRpsAt32
                ? string.Create(Inv, $"**Aim (at least {AimRpsAt32:0} requests/s at 32 in flight): met** for every query type; the slowest, {slowestTitle}, serves {slowest.Rps:N0}/s.")
                : string.Create(Inv, $"**Aim (at least {AimRpsAt32:0} requests/s at 32 in flight): NOT met**: {slowestTitle} serves {slowest.Rps:N0}/s."));
        }
        md.AppendLine();
        md.AppendLine("| Query type | In flight | Requests/s | p50 | p95 | p99 | max | Requests | Counts cached / shared / counted |");
        md.AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var r in results)
        {
            var t = types.Single(x => x.Key == r.Type);
            md.AppendLine(Inv, $"| {t.Title} | {r.InFlight} | {r.Rps:N0} | {r.P50Ms:F1} ms | {r.P95Ms:F1} ms | {r.P99Ms:F1} ms | {r.MaxMs:F1} ms | {r.Requests:N0} | {r.Counts.Describe()} |");
        }
        md.AppendLine();
        md.AppendLine(Inv, $"Each row is one run of {MeasureSeconds} s after a {WarmupSeconds} s warm-up of that query type; latency is timed per request by the harness (HTTP over loopback, the JSON answer read in full).");
        md.AppendLine("Counts: how each request's total and facets were answered by the API's count cache (fresh from an earlier request, joined a count another request had started, or counted: see docs/api.md, search); \"n/a\" when the API has no count cache. \"Single word, counts never cached\" adds a distinct no-op `maxPrice` to every request, so it shows the bounded count alone.");
        md.AppendLine("No non-200 answer in any run (a run fails on one). Every answer is stock-exact: the page is checked against live inventory in the same request.");
        md.AppendLine();
        md.AppendLine("Queries (drawn from the catalog, the same every run):");
        md.AppendLine();
        foreach (var t in types)
        {
            md.AppendLine(Inv, $"- **{t.Title}**: {t.Paths.Count} queries, e.g. `{t.Example}`");
        }
        md.AppendLine();
        md.AppendLine("Where the CPU went (cores busy out of 2, from /proc):");
        md.AppendLine();
        md.AppendLine("| Query type | In flight | API | PostgreSQL | other |");
        md.AppendLine("|---|--:|--:|--:|--:|");
        foreach (var r in results)
        {
            md.AppendLine(Inv, $"| {types.Single(x => x.Key == r.Type).Title} | {r.InFlight} | {r.ApiCores:F2} | {r.PostgresCores:F2} | {r.OtherCores:F2} |");
        }
        md.AppendLine();
        md.AppendLine("\"other\" includes this harness, which sends the requests and times them.");
        md.AppendLine();
        if (backgroundCores > BenchOptions.QuietBelowCores)
        {
            md.AppendLine(Inv, $"The machine was shared while this ran (other engineers' builds and tests: up to {backgroundCores:F2} cores busy just before a run): the figures are on the slow side of what it can do.");
            md.AppendLine();
        }
        md.AppendLine(EndMarker);
        return md.ToString();
    }
}
