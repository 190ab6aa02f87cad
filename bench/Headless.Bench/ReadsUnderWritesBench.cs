using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dapper;

namespace Headless.Bench;

internal sealed record ReadsUnderWritesRun(int TargetCheckoutsPerSecond, double CheckoutsPerSecond, long CheckoutsSent,
    IReadOnlyDictionary<string, long> CheckoutOutcomes, LoadRun Listing, LoadRun Product, double ListingHitRatio, double ProductHitRatio, CpuShare Cpu);

/// <summary>
/// "Reads under writes" (issue 17): the catalog bench's listing and product mix (half the connections each) while
/// checkouts of spread SKUs arrive at a fixed rate (100/s, then 300/s), open loop: each checkout is sent at its
/// due time whether or not the earlier ones have answered, as shoppers would. Reports listing and product
/// p50/p99 and the read cache's hit ratio, estimated in PostgreSQL (a listing or product miss is one scan of
/// the index its query walks: <c>pg_stat_user_indexes</c> before and after, no extension needed).
/// </summary>
internal sealed class ReadsUnderWritesBench(BenchOptions options, BenchDatabase db, string apiDll, string logDirectory)
{
    public const string StartMarker = "<!-- bench:reads-under-writes -->";
    public const string EndMarker = "<!-- /bench:reads-under-writes -->";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly int[] Rates = [100, 300];

    // The indexes a listing query walks (one per query) and the one a product GET by slug probes.
    private const string ListingIndexes = "(indexrelname like 'listing_entries_%' and indexrelname <> 'listing_entries_product') or indexrelname like 'products_active_%' or indexrelname like 'products_listed_%'";
    private const string ProductIndex = "indexrelname = 'products_slug_key'";

    private int MeasureSeconds => options.Quick ? 5 : 20;

    public async Task RunAsync(string code, CancellationToken ct)
    {
        var startedUtc = DateTime.UtcNow;
        Log.Step($"Reads under writes{(options.Quick ? " (--quick)" : "")}: listing + product mix on {options.Connections} connections while checkouts run at {string.Join(" and ", Rates)}/s, {MeasureSeconds} s each.");
        await db.ResetCommerceAsync(ct);
        await db.EnsureDemoPricingAsync(ct);
        var productPaths = RequestPaths.Products(await db.SampleProductSlugsAsync(BenchOptions.ProductSampleSize, ct));
        var categories = await db.SampleCategorySlugsAsync(BenchOptions.CategorySampleSize, ct);
        var skus = (await db.QueryAsync(c => c.QueryAsync<string>(new CommandDefinition("""
            select v.sku from variants v join products p on p.id = v.product_id join inventory i on i.sku = v.sku
            where v.status = 'active' and p.status = 'active' and i.on_hand - i.reserved >= 20
            order by md5(v.sku) limit 20000
            """, commandTimeout: 120, cancellationToken: ct)), ct)).ToArray();

        var env = new Dictionary<string, string> { ["Headless__Checkout__ReservationMinutes"] = "240" };
        var mail = Directory.CreateTempSubdirectory("headless-bench-mail-");
        env["Headless__Email__PickupDirectory"] = mail.FullName;
        var runs = new List<ReadsUnderWritesRun>();
        try
        {
            await using var api = await ApiProcess.StartAsync(apiDll, db.ConnectionString, readCache: true, Path.Combine(logDirectory, "api-reads-under-writes.log"), ct, env);
            await SearchBench.WaitForIndexAsync(api.Http, ct);
            var listingPaths = await RequestPaths.ListingsAsync(api.Http, categories, ct);
            await RequestPaths.CheckAllAnswer200Async(api.Http, [.. productPaths, .. listingPaths], ct);
            var commerce = new CommerceBench(options, db, null!, null!, apiDll, logDirectory);
            using var listingGen = new LoadGen(options.Connections / 2);
            using var productGen = new LoadGen(options.Connections - (options.Connections / 2));
            // Warm-up without writes: the JIT, the connection pools, and every path in the cache.
            await ReadAsync(listingGen, productGen, listingPaths, productPaths, api, options.Quick ? 3 : 15, ct);

            foreach (var rate in Rates)
            {
                var expected = (int)(rate * MeasureSeconds * 1.2) + 100;
                var (checkouts, count) = await commerce.CheckoutRequestsAsync(expected, i => [skus[i % skus.Length]], ct);
                var before = await IndexScansAsync(ct);
                var cpu = new CpuSampler(api.Pid);
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var writes = WriteAtRateAsync(checkouts, count, rate, stop.Token);
                var (listing, product) = await ReadAsync(listingGen, productGen, listingPaths, productPaths, api, MeasureSeconds, ct);
                await stop.CancelAsync();
                var (sent, seconds, outcomes) = await writes;
                var share = cpu.Stop();
                var after = await IndexScansAsync(ct);
                var run = new ReadsUnderWritesRun(rate, sent / seconds, sent, outcomes, listing, product,
                    HitRatio(after.Listing - before.Listing, listing.Requests), HitRatio(after.Product - before.Product, product.Requests), share);
                runs.Add(run);
                Log.Info($"checkouts {run.CheckoutsPerSecond:F0}/s ({Outcomes(outcomes)}): listing {listing.Rps:N0} req/s p50 {BenchReport.Ms(listing.P50Ms)} p99 {BenchReport.Ms(listing.P99Ms)} " +
                    $"hit {run.ListingHitRatio:P1}; product {product.Rps:N0} req/s p50 {BenchReport.Ms(product.P50Ms)} p99 {BenchReport.Ms(product.P99Ms)} hit {run.ProductHitRatio:P1}; " +
                    $"CPU cores: API {share.Api:F2}, PostgreSQL {share.Postgres:F2}");
                await db.ResetCommerceAsync(ct);
            }
        }
        finally
        {
            mail.Delete(recursive: true);
        }

        var markdown = Markdown(startedUtc, code, runs);
        if (!options.WritesDocs)
        {
            var quickPath = Path.Combine(logDirectory, "quick-reads-under-writes.md");
            await File.WriteAllTextAsync(quickPath, markdown, CancellationToken.None);
            Log.Step($"A trial or other-build run: docs/benchmarks.md left alone; this section is in {quickPath}.");
        }
        else
        {
            var docs = Path.Combine(Api.Platform.Hosting.RepoPaths.Root, "docs", "benchmarks.md");
            BenchReport.WriteInto(docs, markdown, StartMarker, EndMarker);
            Log.Step($"Wrote the reads-under-writes results to {docs}.");
        }
    }

    private static async Task<(LoadRun Listing, LoadRun Product)> ReadAsync(LoadGen listingGen, LoadGen productGen,
        IReadOnlyList<string> listingPaths, IReadOnlyList<string> productPaths, ApiProcess api, double seconds, CancellationToken ct)
    {
        static Task<(long, long)> NoXacts(CancellationToken _) => Task.FromResult((0L, 0L));
        static string Status(int status, string? _) => status.ToString(Inv);
        var listing = listingGen.RunAsync("listing", i => new PreparedRequest(HttpMethod.Get, listingPaths[(int)(i % listingPaths.Count)], null, null),
            long.MaxValue, seconds, Status, api.Pid, NoXacts, ct);
        var product = productGen.RunAsync("product", i => new PreparedRequest(HttpMethod.Get, productPaths[(int)(i % productPaths.Count)], null, null),
            long.MaxValue, seconds, Status, api.Pid, NoXacts, ct);
        var runs = await Task.WhenAll(listing, product);
        foreach (var run in runs)
        {
            if (run.Outcomes.Keys.Any(k => k != "200") || run.TransportErrors > 0)
            {
                throw new BenchFailure($"{run.Label} reads under writes: {run.OutcomeSummary}. Figures with errors are not valid; see {api.LogPath}.");
            }
        }
        return (runs[0], runs[1]);
    }

    /// <summary>Sends checkout i at start + i / rate (open loop) until stopped; returns how many were sent, over
    /// how long, and their outcomes.</summary>
    private static async Task<(long Sent, double Seconds, IReadOnlyDictionary<string, long> Outcomes)> WriteAtRateAsync(
        Func<long, PreparedRequest> checkouts, long count, int rate, CancellationToken stop)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64, UseCookies = false, UseProxy = false })
        {
            BaseAddress = new Uri(ApiProcess.BaseUrl),
            Timeout = TimeSpan.FromSeconds(60),
        };
        var outcomes = new Dictionary<string, long>(StringComparer.Ordinal);
        var inFlight = new List<Task>();
        var clock = Stopwatch.StartNew();
        long sent = 0;
        for (long i = 0; i < count && !stop.IsCancellationRequested; i++)
        {
            var due = TimeSpan.FromSeconds(i / (double)rate) - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(due, stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            var r = checkouts(i);
            sent++;
            inFlight.Add(SendAsync(r));
        }
        var seconds = clock.Elapsed.TotalSeconds;
        await Task.WhenAll(inFlight);
        return (sent, seconds, outcomes);

        async Task SendAsync(PreparedRequest r)
        {
            string outcome;
            try
            {
                using var message = new HttpRequestMessage(r.Method, r.Path) { Content = new ByteArrayContent(r.Body!) };
                message.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                message.Headers.TryAddWithoutValidation("Idempotency-Key", r.IdempotencyKey);
                using var response = await http.SendAsync(message, CancellationToken.None);
                outcome = ((int)response.StatusCode).ToString(Inv);
            }
            catch (HttpRequestException)
            {
                outcome = "transport error";
            }
            catch (TaskCanceledException)
            {
                outcome = "timed out";
            }
            lock (outcomes)
            {
                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            }
        }
    }

    private static double HitRatio(long misses, long requests) => requests == 0 ? 0 : Math.Clamp(1 - (misses / (double)requests), 0, 1);

    private static string Outcomes(IReadOnlyDictionary<string, long> outcomes) =>
        string.Join(", ", outcomes.OrderByDescending(o => o.Value).Select(o => string.Create(Inv, $"{o.Key}: {o.Value:N0}")));

    private async Task<(long Listing, long Product)> IndexScansAsync(CancellationToken ct)
    {
        // The API's backends report their statistics when idle, at most once a second: wait for that first.
        await Task.Delay(1100, ct);
        return await db.QueryAsync(c => c.QuerySingleAsync<(long, long)>($"""
            select coalesce(sum(idx_scan) filter (where {ListingIndexes}), 0)::bigint,
                   coalesce(sum(idx_scan) filter (where {ProductIndex}), 0)::bigint
            from pg_stat_user_indexes
            """), ct);
    }

    private string Markdown(DateTime startedUtc, string code, List<ReadsUnderWritesRun> runs)
    {
        var md = new StringBuilder();
        md.AppendLine(StartMarker);
        md.AppendLine("## Reads under writes: listings and products while checkouts run");
        md.AppendLine();
        md.AppendLine(Inv, $"Measured {startedUtc:yyyy-MM-dd HH:mm} UTC with `./build.sh bench --only=reads-under-writes{(options.Quick ? " --quick" : "")}` (code {code}); {MeasureSeconds} s per rate, read cache on.");
        md.AppendLine();
        md.AppendLine("| Checkouts (target · sent/s) | Checkout outcomes | Listing req/s | Listing p50 | Listing p99 | Listing hit ratio | Product req/s | Product p50 | Product p99 | Product hit ratio | CPU cores: API · PostgreSQL |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var r in runs)
        {
            md.AppendLine(Inv, $"| {r.TargetCheckoutsPerSecond}/s · {r.CheckoutsPerSecond:F0}/s | {Outcomes(r.CheckoutOutcomes)} | {BenchReport.Rps(r.Listing.Rps)} | {BenchReport.Ms(r.Listing.P50Ms)} | {BenchReport.Ms(r.Listing.P99Ms)} | {r.ListingHitRatio:P1} | {BenchReport.Rps(r.Product.Rps)} | {BenchReport.Ms(r.Product.P50Ms)} | {BenchReport.Ms(r.Product.P99Ms)} | {r.ProductHitRatio:P1} | {r.Cpu.Api:F2} · {r.Cpu.Postgres:F2} |");
        }
        md.AppendLine();
        md.AppendLine(Inv, $"- **Load**: the catalog section's listing mix on {options.Connections / 2} connections and its product sample on {options.Connections - (options.Connections / 2)}, closed loop (LoadGen), while checkouts of one unit of a spread SKU (hash-ordered pool of 20,000 SKUs, one fresh cart each, made in SQL before the run) are sent open loop at the target rate on up to 64 connections.");
        md.AppendLine("- **Hit ratio** is estimated in PostgreSQL: each listing miss scans one of the listing indexes once, each product miss probes `products_slug_key` once (`pg_stat_user_indexes` before and after the run), so hit ratio = 1 − scans / requests.");
        md.AppendLine(EndMarker);
        return md.ToString();
    }

}
