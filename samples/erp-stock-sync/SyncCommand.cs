using Headless.Sdk;

namespace Headless.Samples.ErpStockSync;

/// <summary>
/// The command line: where the shop is, the API key (scope `catalog`), where the CSV goes, and whether to
/// keep following the feed or stop once caught up. Options win over environment variables.
/// </summary>
public static class SyncCommand
{
    public const string Usage = """
        usage: ErpStockSync [--base-url=URL] [--api-key=KEY] [--out=stock.csv] [--once] [--interval=5]
          --base-url  the shop's API origin (env HEADLESS_BASE_URL, default http://127.0.0.1:5080)
          --api-key   an API key with the catalog scope (env HEADLESS_API_KEY; required)
          --out       the CSV to keep up to date (env STOCK_CSV, default stock.csv); its cursor is saved beside it as <out>.cursor
          --once      stop when caught up instead of polling every --interval seconds
        """;

    public static async Task<int> RunAsync(string[] args, Func<string, string?> env, TextWriter log, CancellationToken ct)
    {
        var options = args.Select(a => a.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "true", StringComparer.Ordinal);
        var unknown = options.Keys.Except(["--base-url", "--api-key", "--out", "--once", "--interval"]).ToList();
        var baseUrl = options.GetValueOrDefault("--base-url") ?? env("HEADLESS_BASE_URL") ?? "http://127.0.0.1:5080";
        var apiKey = options.GetValueOrDefault("--api-key") ?? env("HEADLESS_API_KEY");
        var output = Path.GetFullPath(options.GetValueOrDefault("--out") ?? env("STOCK_CSV") ?? "stock.csv");
        if (unknown.Count > 0 || string.IsNullOrWhiteSpace(apiKey) || !Uri.TryCreate(baseUrl, UriKind.Absolute, out var origin)
            || !int.TryParse(options.GetValueOrDefault("--interval") ?? "5", out var interval) || interval < 1)
        {
            await log.WriteLineAsync(Usage);
            return 2;
        }

        using var http = new HttpClient { BaseAddress = origin, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        var sync = new StockSync(new HeadlessClient(http), new StockFile(output), log);
        try
        {
            do
            {
                await sync.CatchUpAsync(ct);
                if (options.ContainsKey("--once"))
                {
                    return 0;
                }
                await Task.Delay(TimeSpan.FromSeconds(interval), ct);
            }
            while (true);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return 0;
        }
        catch (ApiException e)
        {
            // 401/403: the key is wrong or lacks the catalog scope. The saved cursor is untouched, so a rerun resumes.
            await log.WriteLineAsync($"The API answered {e.StatusCode}; nothing after the saved cursor was lost. {(e.StatusCode is 401 or 403 ? "Check the API key and its catalog scope." : "")}");
            return 1;
        }
        catch (HttpRequestException e)
        {
            await log.WriteLineAsync($"Cannot reach {origin}: {e.Message}. Rerun to resume from the saved cursor.");
            return 1;
        }
    }
}
