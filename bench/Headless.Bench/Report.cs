using System.Globalization;
using System.Text;

namespace Headless.Bench;

internal sealed record ApiLogSummary(
    string Label, string LogPath, (int Warnings, int Errors) AtStart, (int Warnings, int Errors) Serving, IReadOnlyList<string> Examples, TimeSpan Startup);

internal sealed record BenchReport(
    DateTime StartedUtc,
    TimeSpan Duration,
    string Code,
    BenchOptions Options,
    MachineInfo Machine,
    string DatabaseDescription,
    Dataset Dataset,
    int ProductPathCount,
    int ListingPathCount,
    IReadOnlyList<ScenarioResult> Results,
    IReadOnlyList<ApiLogSummary> ApiLogs)
{
    public const string StartMarker = "<!-- bench:catalog-reads -->";
    public const string EndMarker = "<!-- /bench:catalog-reads -->";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Absent with --cache-off-only.</summary>
    public ScenarioResult? ProductCached => Results.SingleOrDefault(r => r.Scenario.Key == "product-get-cached");

    public bool AimMet => ProductCached is { MedianRequests: > 0 } p && p.MedianP99Ms < BenchOptions.AimP99Ms;

    public string AimLine => ProductCached is not { } cached
        ? $"Aim (product GET p99 under {BenchOptions.AimP99Ms:0} ms with the read cache on): not measured in this run."
        : AimMet
            ? $"**Aim (product GET p99 under {BenchOptions.AimP99Ms:0} ms at {Options.Connections} connections, PostgreSQL on the same machine): met** — p99 {Ms(cached.MedianP99Ms)} with the read cache on{(Options.Runs > 1 ? $" (worst of {Options.Runs} runs {Ms(cached.MaxP99Ms)})" : "")}."
            : $"**Aim (product GET p99 under {BenchOptions.AimP99Ms:0} ms at {Options.Connections} connections, PostgreSQL on the same machine): NOT met** — p99 {Ms(cached.MedianP99Ms)} with the read cache on.";

    /// <summary>Issue 17: the uncached listing path near its keyset ceiling (absent with --cache-on-only).</summary>
    public string? UncachedListingAimLine => Results.SingleOrDefault(r => r.Scenario.Key == "listing-uncached") is not { } r ? null
        : r.MedianRps >= BenchOptions.AimUncachedListingRps && r.MedianP99Ms < BenchOptions.AimUncachedListingP99Ms
            ? string.Create(Inv, $"**Aim (listing page with the read cache off: at least {BenchOptions.AimUncachedListingRps:N0} requests/s and p99 under {BenchOptions.AimUncachedListingP99Ms:0} ms at {Options.Connections} connections): met** — {Rps(r.MedianRps)}/s, p99 {Ms(r.MedianP99Ms)}.")
            : string.Create(Inv, $"**Aim (listing page with the read cache off: at least {BenchOptions.AimUncachedListingRps:N0} requests/s and p99 under {BenchOptions.AimUncachedListingP99Ms:0} ms at {Options.Connections} connections): NOT met** — {Rps(r.MedianRps)}/s, p99 {Ms(r.MedianP99Ms)}.");

    public string Markdown()
    {
        var md = new StringBuilder();
        md.AppendLine(StartMarker);
        md.AppendLine("## Catalog reads: product GET and product listing");
        md.AppendLine();
        md.AppendLine(Inv, $"Measured {StartedUtc:yyyy-MM-dd HH:mm} UTC with `./build.sh bench{(Options.Quick ? " --quick" : "")}` (took {Duration.TotalMinutes:F1} min; code {Code}).");
        md.AppendLine();
        md.AppendLine(AimLine);
        md.AppendLine();
        if (UncachedListingAimLine is { } listingAim)
        {
            md.AppendLine(listingAim);
            md.AppendLine();
        }
        md.AppendLine(Inv, $"| Scenario | Read cache | Requests/s | p50 | p90 | p99 | max | Requests per run | Spread of {Options.Runs} runs: req/s · p99 |");
        md.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|---|");
        foreach (var r in Results)
        {
            md.AppendLine(Inv, $"| {r.Scenario.Title} | {(r.Scenario.ReadCache ? "on" : "off")} | {Rps(r.MedianRps)} | {Lat(r, r.MedianP50Ms)} | {Lat(r, r.MedianP90Ms)} | {Lat(r, r.MedianP99Ms)} | {Lat(r, r.MedianMaxMs)} | {r.MedianRequests:N0} | {Rps(r.MinRps)}–{Rps(r.MaxRps)} · {Lat(r, r.MinP99Ms)}–{Lat(r, r.MaxP99Ms)} |");
        }
        md.AppendLine();
        md.AppendLine(Inv, $"Each figure is the median of {Options.Runs} measured run{(Options.Runs == 1 ? "" : "s")} of {Options.MeasureSeconds} s (max: median of the runs' maxima); latencies from wrk's histogram, with {Options.Connections} requests always in flight. No socket errors and no non-2xx responses in any run (a run fails on either).");
        md.AppendLine();
        if (Pairs().Any())
        {
            md.AppendLine("**What the read cache buys** (cached vs uncached, medians):");
            md.AppendLine();
            md.AppendLine("| Endpoint | Throughput | p50 | p99 |");
            md.AppendLine("|---|--:|--:|--:|");
            foreach (var (endpoint, cached, uncached) in Pairs())
            {
                md.AppendLine(Inv, $"| {endpoint} | {Ratio(cached.MedianRps, uncached.MedianRps, cached, uncached)} the requests/s | {Ratio(uncached.MedianP50Ms, cached.MedianP50Ms, cached, uncached)} lower | {Ratio(uncached.MedianP99Ms, cached.MedianP99Ms, cached, uncached)} lower |");
            }
            md.AppendLine();
        }
        md.AppendLine(Inv, $"**Where the CPU went** (the median run of each scenario, in cores busy out of {Environment.ProcessorCount}; from /proc):");
        md.AppendLine();
        md.AppendLine("| Scenario | Read cache | API | PostgreSQL | wrk | kernel interrupts (loopback TCP) | other | idle |");
        md.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|");
        foreach (var r in Results)
        {
            var c = r.MedianRunCpu;
            md.AppendLine(Inv, $"| {r.Scenario.Title} | {(r.Scenario.ReadCache ? "on" : "off")} | {c.Api:F2} | {c.Postgres:F2} | {c.Wrk:F2} | {c.Interrupts:F2} | {c.Other:F2} | {c.Idle:F2} |");
        }
        md.AppendLine();
        md.AppendLine("<details><summary>Every measured run (other work on the machine shows in the last two columns: it is what lengthens the tails)</summary>");
        md.AppendLine();
        md.AppendLine("| Scenario | Read cache | Run | Requests/s | p50 | p99 | max | Other work during the run (cores) | Other work just before (cores) |");
        md.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var r in Results)
        {
            for (var i = 0; i < r.Runs.Count; i++)
            {
                var run = r.Runs[i];
                var finished = run.Wrk.Requests > 0;
                string RunLat(double us) => finished ? Ms(us / 1000) : "none finished";
                md.AppendLine(Inv, $"| {r.Scenario.Title} | {(r.Scenario.ReadCache ? "on" : "off")} | {i + 1} | {Rps(run.Wrk.RequestsPerSecond)} | {RunLat(run.Wrk.P50Us)} | {RunLat(run.Wrk.P99Us)} | {RunLat(run.Wrk.MaxUs)} | {run.Cpu.Other:F2} | {run.BackgroundCores:F2} |");
            }
        }
        md.AppendLine();
        md.AppendLine("</details>");
        md.AppendLine();
        md.AppendLine("### How it was measured");
        md.AppendLine();
        md.AppendLine("- **Command**: `./build.sh bench` — the cake task builds the API in Release and runs `bench/Headless.Bench` " +
            "(`dotnet run -c Release --project bench/Headless.Bench/Headless.Bench.csproj`), which prepares the database, starts the API " +
            "(`dotnet api/bin/Release/net10.0/Headless.Api.dll`) as a child process, drives it with wrk and writes this section. " +
            "`./build.sh bench --quick` is a short trial run that leaves this file alone.");
        md.AppendLine(Inv, $"- **Machine**: {Machine.Cores} cores (`nproc`), {Machine.CpuModel}, {Machine.Ram} RAM, {Machine.Os}, {Machine.Kernel}.");
        md.AppendLine(Inv, $"- **API**: {Machine.DotNet}, Release build, {Machine.ApiGc}; Kestrel on 127.0.0.1:{BenchOptions.ApiPort}, logging at Warning.");
        md.AppendLine(Inv, $"- **Database**: {Machine.PostgresVersion}; {DatabaseDescription}; {Machine.PostgresSettings}.");
        var origin = Dataset.Reused
            ? "reused from an earlier run"
            : string.Create(Inv, $"loaded with COPY and analysed in {Dataset.LoadTime.TotalSeconds:F0} s by this run");
        md.AppendLine(Inv, $"- **Dataset**: `DemoCatalog.Generate({BenchOptions.ProductCount:N0})` — {Dataset.Products:N0} products ({Dataset.ActiveProducts:N0} active), {Dataset.Variants:N0} variants with stock, {Dataset.Categories} categories, {Dataset.DatabaseBytes / 1024.0 / 1024.0:N0} MiB; {origin}.");
        md.AppendLine(Inv, $"- **Load**: {Machine.Wrk}, {Options.Threads} threads, {Options.Connections} keep-alive connections, `--latency --timeout {Options.TimeoutSeconds}s`, {Options.Runs} measured run{(Options.Runs == 1 ? "" : "s")} of {Options.MeasureSeconds} s per scenario. wrk, the API and PostgreSQL share the same {Machine.Cores} cores. Every request takes a path at random from the scenario's list:");
        md.AppendLine(Inv, $"  - product GET: `GET /api/v1/products/{{slug}}` for {ProductPathCount:N0} active products (a fixed, hash-ordered sample of the 100,000);");
        md.AppendLine(Inv, $"  - listing: {ListingPathCount} pages of `GET /api/v1/products?limit=20&sort=…`: the first 10 pages of each sort (newest, price_asc, price_desc, title), the first in-stock page of each sort, for {BenchOptions.CategorySampleSize} categories the first page of each sort and pages 2–3 of newest, and in-stock pages of 5 categories. Deeper pages were reached by following `nextCursor` before measuring.");
        var warmups = string.Join("; ", Results.Select(r => string.Create(Inv, $"{r.Scenario.Title.ToLowerInvariant()} with the cache {(r.Scenario.ReadCache ? "on" : "off")} {r.WarmupSeconds} s ({r.WarmupOutcome})")));
        md.AppendLine(Inv, $"- **Warm-up**: {Options.WarmupChunkSeconds} s wrk runs, repeated until the last {BenchOptions.SettledChunks} agree on throughput within {BenchOptions.SettledWithin:P0} (at most {Options.MaxWarmupSeconds} s): the API is JIT-compiled in tiers while it serves, which takes tens of seconds on 2 busy cores. This run: {warmups}.");
        md.AppendLine("- **Between runs** the harness waits for the queries of requests wrk gave up on to finish (the API does not cancel them), and for other work on the machine to stop (up to 90 s; after such a pause it warms up again for one more warm-up run).");
        md.AppendLine("- **Read cache on** is the shipped configuration. Every path was requested once (and had to answer 200) and the warm-up ran before measuring, so these runs are served from a hot in-process cache. " +
            "**Read cache off** is the same API with `Headless__Catalog__ReadCache=false`: every request queries PostgreSQL, the baseline the cache is measured against.");
        md.AppendLine("- wrk is a closed-loop generator (a new request only when one completes), so latencies are not corrected for coordinated omission; a run fails on any socket error or status >= 400.");
        foreach (var log in ApiLogs)
        {
            var categories = log.Examples
                .Select(e => System.Text.RegularExpressions.Regex.Match(e, "\"Category\":\"([^\"]+)\"").Groups[1].Value)
                .Where(c => c.Length > 0).Distinct().ToList();
            md.AppendLine(Inv, $"- API start-up ({log.Label}): {log.Startup.TotalSeconds:F2} s from process start to the first 200 from `/health/ready`.");
            md.AppendLine(Inv, $"- API log ({log.Label}): {log.Serving.Warnings} warnings and {log.Serving.Errors} errors under load; {log.AtStart.Warnings} warnings and {log.AtStart.Errors} errors while starting{(categories.Count > 0 ? $" (from {string.Join(", ", categories.Select(c => $"`{c}`"))})" : "")}.");
        }
        var background = Results.SelectMany(r => r.Runs).Max(r => r.BackgroundCores);
        var otherDuring = Results.Max(r => r.MedianRunCpu.Other);
        md.AppendLine(Inv, $"- Other work on the machine: at most {background:F2} cores busy just before a measured run (runs wait up to 90 s for it to drop below {BenchOptions.QuietBelowCores:F2}); the *other* CPU column above is what was not the API, PostgreSQL, wrk or interrupts during the runs (this harness, the kernel, other processes).");
        if (background > BenchOptions.QuietBelowCores || otherDuring > 0.5)
        {
            md.AppendLine("- **The machine was not idle during this run** (other processes were using CPU): the figures are lower, and the tails longer, than on a quiet machine.");
        }
        md.AppendLine(EndMarker);
        return md.ToString();
    }

    /// <summary>Cached and uncached results of one endpoint; none under --cache-on-only, which skips the uncached half.</summary>
    private IEnumerable<(string Endpoint, ScenarioResult Cached, ScenarioResult Uncached)> Pairs()
    {
        ScenarioResult? Get(string key) => Results.SingleOrDefault(r => r.Scenario.Key == key);
        foreach (var (endpoint, key) in new[] { ("Product GET", "product-get"), ("Listing page", "listing") })
        {
            if (Get(key + "-cached") is { } cached && Get(key + "-uncached") is { } uncached)
            {
                yield return (endpoint, cached, uncached);
            }
        }
    }

    /// <summary>Throughput with enough digits to tell 1.7 from 2 when a scenario manages only a few per second.</summary>
    public static string Rps(double rps) => rps < 100 ? rps.ToString("0.0", Inv) : rps.ToString("N0", Inv);

    /// <summary>A latency, or "none finished" when the median run completed no request at all.</summary>
    private string Lat(ScenarioResult r, double ms) => r.MedianRequests == 0 ? string.Create(Inv, $"none finished in {Options.MeasureSeconds} s") : Ms(ms);

    private static string Ratio(double numerator, double denominator, ScenarioResult cached, ScenarioResult uncached) =>
        cached.MedianRequests == 0 || uncached.MedianRequests == 0 || denominator <= 0
            ? "n/a"
            : (numerator / denominator) switch
            {
                >= 100 => (numerator / denominator).ToString("N0", Inv) + "×",
                var x => x.ToString("0.0", Inv) + "×",
            };

    public static string Ms(double ms) => ms switch
    {
        < 1 => ms.ToString("0.00", Inv) + " ms",
        < 10 => ms.ToString("0.0#", Inv) + " ms",
        < 1000 => ms.ToString("0.0", Inv) + " ms",
        _ => (ms / 1000).ToString("0.00", Inv) + " s",
    };

    /// <summary>Puts the section between its markers in docs/benchmarks.md, keeping everything else.</summary>
    public static void WriteInto(string path, string section) => WriteInto(path, section, StartMarker, EndMarker);

    /// <summary>Puts a section between the given markers, keeping everything else.</summary>
    public static void WriteInto(string path, string section, string startMarker, string endMarker)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var text = File.Exists(path)
            ? File.ReadAllText(path)
            : """
              # Benchmarks

              How to run: `./build.sh bench`. Each benchmark rewrites its own section (between its `<!-- bench:… -->` markers) and leaves the rest of this file alone.

              """;
        var start = text.IndexOf(startMarker, StringComparison.Ordinal);
        var end = text.IndexOf(endMarker, StringComparison.Ordinal);
        if (start >= 0 && end > start)
        {
            var after = end + endMarker.Length;
            if (after < text.Length && text[after] == '\n')
            {
                after++;
            }
            text = text[..start] + section + text[after..];
        }
        else
        {
            text = text.TrimEnd('\n') + "\n\n" + section;
        }
        File.WriteAllText(path, text);
    }
}
