using System.Net;
using System.Text.Json;

namespace Headless.Bench;

internal sealed record Scenario(string Key, string Title, string Endpoint, bool ReadCache, string Script, int PathCount);

/// <param name="BackgroundCores">Cores busy with other work just before the run started.</param>
internal sealed record RunResult(WrkResult Wrk, CpuShare Cpu, double BackgroundCores);

internal sealed record ScenarioResult(Scenario Scenario, IReadOnlyList<RunResult> Runs, int WarmupSeconds, string WarmupOutcome)
{
    public double MedianRequests => Median(Runs.Select(r => r.Wrk.Requests));
    public double MedianRps => Median(Runs.Select(r => r.Wrk.RequestsPerSecond));
    public double MedianP50Ms => Median(Runs.Select(r => r.Wrk.P50Us)) / 1000.0;
    public double MedianP90Ms => Median(Runs.Select(r => r.Wrk.P90Us)) / 1000.0;
    public double MedianP99Ms => Median(Runs.Select(r => r.Wrk.P99Us)) / 1000.0;
    public double MedianMaxMs => Median(Runs.Select(r => r.Wrk.MaxUs)) / 1000.0;
    public double MinRps => Runs.Min(r => r.Wrk.RequestsPerSecond);
    public double MaxRps => Runs.Max(r => r.Wrk.RequestsPerSecond);
    public double MinP99Ms => Runs.Min(r => r.Wrk.P99Us) / 1000.0;
    public double MaxP99Ms => Runs.Max(r => r.Wrk.P99Us) / 1000.0;

    /// <summary>The CPU split of the run whose throughput is the median one.</summary>
    public CpuShare MedianRunCpu => Runs.OrderBy(r => r.Wrk.RequestsPerSecond).ElementAt(Runs.Count / 2).Cpu;

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

/// <summary>The request paths the scenarios draw from.</summary>
internal static class RequestPaths
{
    public static readonly string[] Sorts = ["newest", "price_asc", "price_desc", "title"];

    public static IReadOnlyList<string> Products(IReadOnlyList<string> slugs) =>
        slugs.Select(s => "/api/v1/products/" + Uri.EscapeDataString(s)).ToList();

    /// <summary>
    /// A storefront-like mix of listing pages: for each sort the first 10 pages, plus the first page
    /// filtered to in-stock; for each sampled category the first page in each sort and pages 2-3 of
    /// newest; in-stock filtered first pages for 5 categories. Deeper pages are reached by following
    /// nextCursor, exactly as a client does.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ListingsAsync(HttpClient http, IReadOnlyList<string> categories, CancellationToken ct)
    {
        var chains = new List<(string FirstPage, int Pages)>();
        foreach (var sort in Sorts)
        {
            chains.Add(($"/api/v1/products?limit=20&sort={sort}", 10));
            chains.Add(($"/api/v1/products?limit=20&sort={sort}&inStock=true", 1));
        }
        foreach (var category in categories)
        {
            var slug = Uri.EscapeDataString(category);
            foreach (var sort in Sorts)
            {
                chains.Add(($"/api/v1/products?limit=20&sort={sort}&category={slug}", sort == "newest" ? 3 : 1));
            }
        }
        foreach (var category in categories.Take(5))
        {
            chains.Add(($"/api/v1/products?limit=20&sort=newest&inStock=true&category={Uri.EscapeDataString(category)}", 1));
        }
        // A few chains at a time: each page is a cache miss here, and the next page needs this one's cursor.
        var pages = new List<string>[chains.Count];
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, chains.Count), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (i, token) =>
        {
            pages[i] = await FollowAsync(http, chains[i].FirstPage, chains[i].Pages, token);
            var finished = Interlocked.Increment(ref done);
            if (finished % 25 == 0)
            {
                Log.Info($"  {finished} of {chains.Count} listings followed ...");
            }
        });
        return pages.SelectMany(p => p).Distinct(StringComparer.Ordinal).ToList();
    }

    private static async Task<List<string>> FollowAsync(HttpClient http, string firstPage, int pages, CancellationToken ct)
    {
        var result = new List<string>();
        var path = firstPage;
        while (result.Count < pages)
        {
            result.Add(path);
            using var response = await http.GetAsync(path, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new BenchFailure($"GET {path} answered {(int)response.StatusCode} while preparing the listing paths: {Truncate(body)}");
            }
            using var json = JsonDocument.Parse(body);
            if (!json.RootElement.TryGetProperty("nextCursor", out var next) || next.ValueKind != JsonValueKind.String)
            {
                break;
            }
            path = firstPage + "&cursor=" + Uri.EscapeDataString(next.GetString()!);
        }
        return result;
    }

    /// <summary>Every path must answer 200 before we measure: wrk only counts status >= 400 as errors,
    /// so this is also what rules out redirects and 304s. With the cache on it fills the cache too.</summary>
    public static async Task CheckAllAnswer200Async(HttpClient http, IReadOnlyList<string> paths, CancellationToken ct)
    {
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await Parallel.ForEachAsync(paths, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (path, token) =>
        {
            using var response = await http.GetAsync(path, HttpCompletionOption.ResponseContentRead, token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                failures.Enqueue($"GET {path} -> {(int)response.StatusCode} {Truncate(await response.Content.ReadAsStringAsync(token))}");
            }
        });
        if (!failures.IsEmpty)
        {
            throw new BenchFailure($"{failures.Count} of {paths.Count} request paths did not answer 200 before the benchmark, e.g.:\n  " +
                string.Join("\n  ", failures.Take(5)));
        }
    }

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
