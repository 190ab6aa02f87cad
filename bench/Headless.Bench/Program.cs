using System.Diagnostics;
using System.Runtime.InteropServices;
using Dapper;
using Headless.Api.Platform.Hosting;

namespace Headless.Bench;

/// <summary>
/// <c>./build.sh bench</c>: loads the 100,000-product demo catalog into its own database, starts the
/// Release API, measures product GET and product listing with wrk (read cache on, then off) and writes
/// the medians to docs/benchmarks.md.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        BenchOptions options;
        try
        {
            options = BenchOptions.Parse(args);
        }
        catch (BenchOptions.UsageRequested)
        {
            Console.WriteLine(BenchOptions.Usage);
            return 0;
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }

        using var cts = new CancellationTokenSource();
        void Interrupt(PosixSignalContext context)
        {
            context.Cancel = true;
            if (!cts.IsCancellationRequested)
            {
                Log.Warn($"{context.Signal}: stopping the load, the API and PostgreSQL ...");
                cts.Cancel();
            }
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
        using var sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Interrupt);

        try
        {
            return await new BenchRun(options).RunAsync(cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            Log.Error("Interrupted: nothing was written to docs/benchmarks.md.");
            return 130;
        }
        catch (BenchFailure e)
        {
            Log.Error(e.Message);
            Log.Error("The benchmark failed: nothing was written to docs/benchmarks.md.");
            return 1;
        }
        finally
        {
            Children.KillAll();
        }
    }
}

internal sealed class BenchRun(BenchOptions options)
{
    private readonly string _logDirectory = Path.Combine(RepoPaths.Data, "bench-logs");
    private readonly List<ApiLogSummary> _apiLogs = [];

    public async Task<int> RunAsync(CancellationToken ct)
    {
        if (options.Only == "images")
        {
            // In process, on the pipeline's own code: no API process, database or wrk.
            return await new ImageBench(options).RunAsync(ct);
        }
        var startedUtc = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        var scenarioCount = !options.RunsCatalog ? 0 : options.CacheOnOnly ? 2 : 4;
        var least = scenarioCount * ((BenchOptions.SettledChunks * options.WarmupChunkSeconds) + (options.Runs * options.MeasureSeconds));
        var most = scenarioCount * (options.MaxWarmupSeconds + (options.Runs * options.MeasureSeconds));
        Log.Step($"Headless benchmark{(options.Only is { } only ? $" (--only={only})" : "")}{(options.Quick ? " (--quick: short trial run, docs/benchmarks.md is left alone)" : "")}: " +
            $"catalog reads: {scenarioCount} scenarios × (warm-up until throughput settles, {options.MaxWarmupSeconds} s at most + {options.Runs} × {options.MeasureSeconds} s): {least / 60.0:F1}-{most / 60.0:F1} min of load.");

        var apiDll = BenchOptions.ApiDllOverride ?? Path.Combine(RepoPaths.Root, "api", "bin", "Release", "net10.0", "Headless.Api.dll");
        if (!File.Exists(apiDll))
        {
            throw new BenchFailure($"The Release build of the API is missing ({apiDll}). `./build.sh bench` builds it; by hand: `dotnet build -c Release api/Headless.Api.csproj`.");
        }
        Log.Info($"API: {apiDll} (built {File.GetLastWriteTimeUtc(apiDll):yyyy-MM-dd HH:mm} UTC).");

        Directory.CreateDirectory(_logDirectory);
        if (options.Only == "import")
        {
            // The import writes its own fresh database: neither the 100,000-product catalog nor wrk is needed.
            await using var importDb = await BenchDatabase.OpenAsync(ct);
            await new ImportBench(options).RunAsync(importDb, apiDll, _logDirectory, await CodeVersionAsync(ct), ct);
            return 0;
        }
        if (options.Only == "webhooks")
        {
            // Its own fresh database and local receivers: neither the catalog nor wrk is needed.
            await using var webhookDb = await BenchDatabase.OpenAsync(ct);
            await new WebhookBench(options).RunAsync(webhookDb, apiDll, _logDirectory, await CodeVersionAsync(ct), ct);
            return 0;
        }
        if (options.Only == "vault")
        {
            // The vault's calls in this process against the bench server's vault database: no catalog, API process or wrk.
            await using var vaultDb = await BenchDatabase.OpenAsync(ct);
            await new VaultBench(options).RunAsync(vaultDb, _logDirectory, await CodeVersionAsync(ct), ct);
            return 0;
        }
        var rawWrkLog = Path.Combine(_logDirectory, "wrk.log");
        File.WriteAllText(rawWrkLog, "");
        var work = Directory.CreateTempSubdirectory("headless-bench-");
        try
        {
            var wrk = await Wrk.EnsureInstalledAsync(work.FullName, rawWrkLog, ct);
            await using var db = await BenchDatabase.OpenAsync(ct);
            var dataset = await db.EnsureCatalogAsync(BenchOptions.ProductCount, ct);
            var machine = await MachineInfo.CollectAsync(db, wrk, apiDll, ct);
            Log.Info($"Machine: {machine.Cores} cores, {machine.CpuModel}, {machine.Ram}, {machine.Os}; {machine.DotNet} ({machine.ApiGc}); {machine.PostgresVersion.Split(',')[0]}.");

            if (options.RunsCatalog)
            {
                Log.Step($"Sampling {BenchOptions.ProductSampleSize:N0} product slugs and {BenchOptions.CategorySampleSize} categories ...");
                var productPaths = RequestPaths.Products(await db.SampleProductSlugsAsync(BenchOptions.ProductSampleSize, ct));
                var categories = await db.SampleCategorySlugsAsync(BenchOptions.CategorySampleSize, ct);
                var productScript = wrk.WriteScript("product-get", productPaths);

                var results = new List<ScenarioResult>();
                IReadOnlyList<string> listingPaths;
                string listingScript;

                Log.Step("Read cache ON (the shipped configuration)");
                await using (var api = await ApiProcess.StartAsync(apiDll, db.ConnectionString, readCache: true, Path.Combine(_logDirectory, "api-cache-on.log"), ct))
                {
                    // On a fresh database the search indexer builds its index at the first start: not during a measurement.
                    await SearchBench.WaitForIndexAsync(api.Http, ct);
                    Log.Info("Building the listing paths (following nextCursor for deeper pages) ...");
                    listingPaths = await RequestPaths.ListingsAsync(api.Http, categories, ct);
                    listingScript = wrk.WriteScript("listing", listingPaths);
                    Log.Info($"Checking that all {productPaths.Count + listingPaths.Count:N0} paths answer 200 ({productPaths.Count:N0} products, {listingPaths.Count} listing pages) ...");
                    await RequestPaths.CheckAllAnswer200Async(api.Http, [.. productPaths, .. listingPaths], ct);

                    if (!options.CacheOffOnly)
                    {
                        results.Add(await MeasureAsync(wrk, db, api, new Scenario("product-get-cached", "Product GET by slug", "product", true, productScript, productPaths.Count), ct));
                        results.Add(await MeasureAsync(wrk, db, api, new Scenario("listing-cached", "Listing page (20 products)", "listing", true, listingScript, listingPaths.Count), ct));
                        RecordApiLog("read cache on", api);
                    }
                }

                if (!options.CacheOnOnly)
                {
                    Log.Step("Read cache OFF (Headless__Catalog__ReadCache=false: every request queries PostgreSQL)");
                    await using (var api = await ApiProcess.StartAsync(apiDll, db.ConnectionString, readCache: false, Path.Combine(_logDirectory, "api-cache-off.log"), ct))
                    {
                        results.Add(await MeasureAsync(wrk, db, api, new Scenario("product-get-uncached", "Product GET by slug", "product", false, productScript, productPaths.Count), ct));
                        results.Add(await MeasureAsync(wrk, db, api, new Scenario("listing-uncached", "Listing page (20 products)", "listing", false, listingScript, listingPaths.Count), ct));
                        RecordApiLog("read cache off", api);
                    }
                }

                var report = new BenchReport(startedUtc, clock.Elapsed, await CodeVersionAsync(ct), options, machine, db.Description, dataset,
                    productPaths.Count, listingPaths.Count, SortForReport(results), _apiLogs);
                var markdown = report.Markdown();
                PrintSummary(report);
                if (!options.WritesDocs)
                {
                    var quickPath = Path.Combine(_logDirectory, "quick-result.md");
                    await File.WriteAllTextAsync(quickPath, markdown, CancellationToken.None);
                    Log.Step($"A trial, partial or other-build run: docs/benchmarks.md left alone; this run's section is in {quickPath}.");
                }
                else
                {
                    var docs = Path.Combine(RepoPaths.Root, "docs", "benchmarks.md");
                    BenchReport.WriteInto(docs, markdown);
                    Log.Step($"Wrote the results to {docs}.");
                }
                Log.Info($"Logs: {_logDirectory} (api-cache-on.log, api-cache-off.log, wrk.log).");
            }
            if (options.RunsCheckout)
            {
                var commerce = new CommerceBench(options, db, machine, dataset, apiDll, _logDirectory);
                await commerce.RunAsync(await CodeVersionAsync(ct), ct);
            }
            if (options.RunsSearch)
            {
                await RunSearchAsync(db, dataset, machine, apiDll, startedUtc, ct);
            }
            if (options.RunsStorefront)
            {
                var storefront = new StorefrontBench(options, db, machine, dataset, apiDll, _logDirectory);
                await storefront.RunAsync(await CodeVersionAsync(ct), ct);
            }
            if (options.RunsAdmin)
            {
                await new AdminListBench(options).RunAsync(db, dataset, machine, apiDll, _logDirectory, await CodeVersionAsync(ct), ct);
            }
            if (options.RunsReadsUnderWrites)
            {
                await new ReadsUnderWritesBench(options, db, apiDll, _logDirectory).RunAsync(await CodeVersionAsync(ct), ct);
            }
            if (options.RunsImages)
            {
                await new ImageBench(options).RunAsync(ct);
            }
            if (options.RunsImport)
            {
                await new ImportBench(options).RunAsync(db, apiDll, _logDirectory, await CodeVersionAsync(ct), ct);
            }
            if (options.RunsWebhooks)
            {
                await new WebhookBench(options).RunAsync(db, apiDll, _logDirectory, await CodeVersionAsync(ct), ct);
            }
            return 0;
        }
        finally
        {
            try
            {
                work.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A temp folder; not worth failing over.
            }
        }
    }

    private async Task RunSearchAsync(BenchDatabase db, Dataset dataset, MachineInfo machine, string apiDll, DateTime startedUtc, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var search = new SearchBench(options);
        Log.Step("Product search (PostgreSQL engine, read cache irrelevant: search answers are stock-exact and never cached)");
        await using var api = await ApiProcess.StartAsync(apiDll, db.ConnectionString, readCache: true, Path.Combine(_logDirectory, "api-search.log"), ct);
        await SearchBench.WaitForIndexAsync(api.Http, ct);
        var types = await SearchBench.BuildQueriesAsync(db, ct);
        long documents;
        await using (var conn = await db.DataSource.OpenConnectionAsync(ct))
        {
            documents = await conn.ExecuteScalarAsync<long>("select count(*) from search_documents");
        }
        var results = await search.MeasureAsync(api, types, ct);
        RecordApiLog("search", api);
        var markdown = search.Markdown(startedUtc, clock.Elapsed, await CodeVersionAsync(ct), machine, dataset, documents, types, results, search.BackgroundCores);
        Log.Step("Search results:");
        foreach (var r in results)
        {
            Log.Info($"{r.Type,-12} {r.InFlight} in flight: {r.Rps,7:F0} req/s  p50 {r.P50Ms,6:F1} ms  p95 {r.P95Ms,6:F1} ms  p99 {r.P99Ms,6:F1} ms");
        }
        if (!options.WritesDocs)
        {
            var quickPath = Path.Combine(_logDirectory, "quick-search-result.md");
            await File.WriteAllTextAsync(quickPath, markdown, CancellationToken.None);
            Log.Step($"A trial or other-build run: docs/benchmarks.md left alone; the search section is in {quickPath}.");
        }
        else
        {
            var docs = Path.Combine(RepoPaths.Root, "docs", "benchmarks.md");
            BenchReport.WriteInto(docs, markdown, SearchBench.StartMarker, SearchBench.EndMarker);
            Log.Step($"Wrote the search results to {docs}.");
        }
    }

    private async Task<ScenarioResult> MeasureAsync(Wrk wrk, BenchDatabase db, ApiProcess api, Scenario scenario, CancellationToken ct)
    {
        var name = $"{scenario.Title}, cache {(scenario.ReadCache ? "on" : "off")}";
        Log.Step($"{name}: {scenario.PathCount:N0} paths, {options.Connections} connections, {options.Threads} wrk threads");
        var (warmupSeconds, warmupOutcome) = await WarmUpAsync(wrk, db, api, scenario, name, ct);
        var runs = new List<RunResult>();
        for (var i = 1; i <= options.Runs; i++)
        {
            var quietClock = Stopwatch.StartNew();
            var background = await Background.WaitForQuietAsync(api.Pid, BenchOptions.QuietBelowCores, TimeSpan.FromSeconds(options.Quick ? 10 : 90), ct);
            if (quietClock.Elapsed > TimeSpan.FromSeconds(5))
            {
                // After a pause the API is not in its steady state any more (the GC has shrunk its heaps,
                // the thread pool has retired threads): warm it up again so the run measures the steady state.
                Log.Info($"re-warming for {options.WarmupChunkSeconds} s after the pause ...");
                var rewarm = await wrk.RunAsync($"{scenario.Key} re-warm before run {i}", scenario.Script, options, options.WarmupChunkSeconds, ct);
                Check($"{name} (re-warm)", rewarm, api);
                await DrainAsync(db, ct);
            }
            var cpu = new CpuSampler(api.Pid);
            var result = await wrk.RunAsync($"{scenario.Key} run {i}", scenario.Script, options, options.MeasureSeconds, ct);
            var share = cpu.Stop();
            Check($"{name} (run {i})", result, api);
            await DrainAsync(db, ct);
            runs.Add(new RunResult(result, share, background));
            Log.Info($"run {i}/{options.Runs} ({options.MeasureSeconds} s): {BenchReport.Rps(result.RequestsPerSecond)} req/s ({result.Requests:N0} requests), " +
                $"p50 {BenchReport.Ms(result.P50Us / 1000)}, p99 {BenchReport.Ms(result.P99Us / 1000)}, max {BenchReport.Ms(result.MaxUs / 1000)} " +
                $"| CPU cores: API {share.Api:F2}, PostgreSQL {share.Postgres:F2}, wrk {share.Wrk:F2}, interrupts {share.Interrupts:F2}, other {share.Other:F2}, idle {share.Idle:F2}");
        }
        var scenarioResult = new ScenarioResult(scenario, runs, warmupSeconds, warmupOutcome);
        Log.Info($"median: {BenchReport.Rps(scenarioResult.MedianRps)} req/s, p50 {BenchReport.Ms(scenarioResult.MedianP50Ms)}, p99 {BenchReport.Ms(scenarioResult.MedianP99Ms)}");
        return scenarioResult;
    }

    /// <summary>Repeats short runs until the last three agree on throughput within 8 % (the JIT has
    /// finished tiering up and the caches are full), or the cap is reached.</summary>
    private async Task<(int Seconds, string Outcome)> WarmUpAsync(Wrk wrk, BenchDatabase db, ApiProcess api, Scenario scenario, string name, CancellationToken ct)
    {
        var rates = new List<double>();
        var seconds = 0;
        while (true)
        {
            var chunk = await wrk.RunAsync($"{scenario.Key} warm-up {seconds}-{seconds + options.WarmupChunkSeconds} s", scenario.Script, options, options.WarmupChunkSeconds, ct);
            Check(name + " (warm-up)", chunk, api);
            await DrainAsync(db, ct);
            seconds += options.WarmupChunkSeconds;
            var rps = chunk.RequestsPerSecond;
            rates.Add(rps);
            var last = rates.TakeLast(BenchOptions.SettledChunks).ToArray();
            var settled = last.Length == BenchOptions.SettledChunks && last.Min() > 0 && (last.Max() - last.Min()) / last.Max() <= BenchOptions.SettledWithin;
            Log.Info($"warm-up {seconds,3} s: {BenchReport.Rps(rps),9} req/s, p99 {BenchReport.Ms(chunk.P99Us / 1000)}{(settled ? "  (settled)" : "")}");
            if (settled)
            {
                return (seconds, "settled");
            }
            if (chunk.Requests < options.Connections)
            {
                // Not even one answer per connection: requests take seconds, so there is nothing to
                // settle (the time goes to PostgreSQL, not to the JIT); measure right away.
                Log.Info($"warm-up stopped: fewer than {options.Connections} requests finished in {options.WarmupChunkSeconds} s.");
                return (seconds, "stopped early: requests take seconds");
            }
            if (seconds + options.WarmupChunkSeconds > options.MaxWarmupSeconds)
            {
                Log.Info($"warm-up stopped at the {options.MaxWarmupSeconds} s cap; throughput had not settled within {BenchOptions.SettledWithin:P0}.");
                return (seconds, "not settled at the cap");
            }
        }
    }

    private static async Task DrainAsync(BenchDatabase db, CancellationToken ct)
    {
        var (abandoned, waited) = await db.WaitForApiQueriesToFinishAsync(TimeSpan.FromMinutes(2), ct);
        if (waited > TimeSpan.FromSeconds(1))
        {
            Log.Info($"waited {waited.TotalSeconds:F0} s for {abandoned} queries of requests wrk had given up on to finish (the API does not cancel them).");
        }
    }

    private static void Check(string what, WrkResult result, ApiProcess api)
    {
        if (api.HasExited)
        {
            throw new BenchFailure(api.ExitDescription());
        }
        if (result.StatusErrors > 0 || result.SocketErrors > 0)
        {
            throw new BenchFailure($"{what}: {result.ErrorSummary} out of {result.Requests:N0} requests. " +
                $"Figures with errors are not valid. Look at the API log ({api.LogPath}) and .data/bench-logs/wrk.log.");
        }
        if (result.Requests == 0)
        {
            Log.Warn($"{what}: no request finished within the run: each took longer than that.");
        }
    }

    private void RecordApiLog(string label, ApiProcess api)
    {
        var (atStart, serving) = api.ProblemCounts();
        _apiLogs.Add(new ApiLogSummary(label, api.LogPath, atStart, serving, [.. api.FirstProblems], api.StartupTime));
        if (atStart.Warnings + atStart.Errors + serving.Warnings + serving.Errors > 0)
        {
            Log.Warn($"The API ({label}) logged {atStart.Warnings} warnings and {atStart.Errors} errors while starting, " +
                $"{serving.Warnings} warnings and {serving.Errors} errors under load (see {api.LogPath}); first ones:\n  " +
                string.Join("\n  ", api.FirstProblems.Select(p => p.Length > 300 ? p[..300] + "…" : p)));
        }
    }

    private static List<ScenarioResult> SortForReport(List<ScenarioResult> results)
    {
        string[] order = ["product-get-cached", "product-get-uncached", "listing-cached", "listing-uncached"];
        return [.. results.OrderBy(r => Array.IndexOf(order, r.Scenario.Key))];
    }

    private static void PrintSummary(BenchReport report)
    {
        Log.Step("Results (medians):");
        foreach (var r in report.Results)
        {
            Log.Info($"{r.Scenario.Title,-28} cache {(r.Scenario.ReadCache ? "on " : "off")}  {BenchReport.Rps(r.MedianRps),9} req/s  p50 {BenchReport.Ms(r.MedianP50Ms),9}  p99 {BenchReport.Ms(r.MedianP99Ms),9}");
        }
        if (report.AimMet)
        {
            Log.Step(report.AimLine.Replace("**", "", StringComparison.Ordinal));
        }
        else
        {
            Log.Warn(report.AimLine.Replace("**", "", StringComparison.Ordinal));
        }
    }

    internal static async Task<string> CodeVersionAsync(CancellationToken ct)
    {
        try
        {
            var (exit, head) = await Shell.RunAsync("git", ["-C", RepoPaths.Root, "rev-parse", "--short", "HEAD"], ct);
            if (exit != 0)
            {
                return "unknown";
            }
            var (_, status) = await Shell.RunAsync("git", ["-C", RepoPaths.Root, "status", "--porcelain", "--untracked-files=no"], ct);
            return $"`{head.Trim()}`{(string.IsNullOrWhiteSpace(status) ? "" : " with uncommitted changes")}";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown (no git)";
        }
    }
}
