using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Headless.Api.Platform.Hosting;

namespace Headless.Drill;

/// <summary>The load: 50,000 daily users at the sale, with the arithmetic that turns them into requests.</summary>
public static class SaleLoad
{
    public const int DailyUsers = 50_000;
    /// <summary>Share of the day's visits in the peak hour (an evening sale hour; ordinary shops see 8–10 %).</summary>
    public const double PeakHourShare = 0.12;
    /// <summary>API requests per visit: 14 browse, 3 search, 2 cart, 1 checkout-step, the 70/15/10/5 mix.</summary>
    public const int RequestsPerVisit = 20;
    public const int Factor = 50;

    public static double PeakVisitsPerSecond => DailyUsers * PeakHourShare / 3600;

    public static double PeakRequestsPerSecond => PeakVisitsPerSecond * RequestsPerVisit;

    public static double TargetRequestsPerSecond => PeakRequestsPerSecond * Factor;

    public static string Arithmetic => string.Create(CultureInfo.InvariantCulture,
        $"{DailyUsers:N0} daily users × {PeakHourShare:P0} in the peak hour = {DailyUsers * PeakHourShare:N0} visits/h = {PeakVisitsPerSecond:F2} visits/s; × {RequestsPerVisit} API requests per visit (14 browse, 3 search, 2 cart, 1 checkout step) = {PeakRequestsPerSecond:F1} req/s at the sale peak; × {Factor} = {TargetRequestsPerSecond:N0} req/s");
}

/// <summary>One shopper type: its share of the requests and the wrk process that makes them.</summary>
public sealed record ShopperType(string Kind, double Share);

/// <summary>What wrk's done() printed for one shopper type.</summary>
public sealed record WrkOutcome(
    [property: JsonPropertyName("requests")] long Requests,
    [property: JsonPropertyName("duration_us")] long DurationUs,
    [property: JsonPropertyName("p50_us")] long P50Us,
    [property: JsonPropertyName("p99_us")] long P99Us,
    [property: JsonPropertyName("max_us")] long MaxUs,
    [property: JsonPropertyName("connect")] long Connect,
    [property: JsonPropertyName("read")] long Read,
    [property: JsonPropertyName("write")] long Write,
    [property: JsonPropertyName("status")] long Status,
    [property: JsonPropertyName("timeout")] long Timeout);

/// <summary>
/// The shopper mix as several Debian wrk processes, one per shopper type, each with connections and a pause
/// (wrk's Lua <c>delay()</c>) sized so the type makes its share of the target rate: Debian's wrk has no
/// rate option, so a connection makes at most 1000 / (pause + latency) requests a second. The cart and
/// checkout types step through their requests (cart, line, checkout; StripePayer pays) per connection; every
/// answer is logged per thread (shopper.lua). The shares are of HTTP requests: a checkout shopper's three
/// requests all count towards its 5 %.
/// </summary>
public sealed class ShopperMix(string workDirectory, double targetRate)
{
    public static readonly ShopperType[] Types = [new("browse", 0.70), new("search", 0.15), new("cart", 0.10), new("checkout", 0.05)];

    private const string ResultMarker = "DRILL_RESULT ";

    public IReadOnlyDictionary<string, (int Connections, int PauseMs)> Plan { get; } = Types.ToDictionary(t => t.Kind, t =>
    {
        var rate = Math.Max(0.5, targetRate * t.Share);
        var connections = (int)Math.Clamp(Math.Ceiling(rate / 10), 1, 64);
        return (connections, (int)Math.Round(1000 * connections / rate));
    });

    public string LogDirectory => Path.Combine(workDirectory, "answers");

    public async Task<Dictionary<string, WrkOutcome?>> RunAsync(string baseUrl, IReadOnlyList<string> browsePaths, IReadOnlyList<string> searchPaths,
        IReadOnlyList<string> skus, TimeSpan duration, CancellationToken ct)
    {
        var wrk = File.Exists("/usr/bin/wrk") ? "/usr/bin/wrk" : throw new DrillError("wrk is not installed: `apt-get install wrk` (Debian's, with Lua).");
        Directory.CreateDirectory(LogDirectory);
        var template = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "tools", "Headless.Drill", "shopper.lua"), ct);
        var runs = Types.Select(async t =>
        {
            var paths = Path.Combine(workDirectory, t.Kind + ".paths");
            await File.WriteAllLinesAsync(paths, t.Kind switch
            {
                "browse" => browsePaths,
                "search" => searchPaths,
                _ => skus.Select(s => "sku " + s),
            }, ct);
            var script = Path.Combine(workDirectory, t.Kind + ".lua");
            var (connections, pause) = Plan[t.Kind];
            await File.WriteAllTextAsync(script, template
                .Replace("@KIND@", t.Kind, StringComparison.Ordinal)
                .Replace("@OUT@", LogDirectory, StringComparison.Ordinal)
                .Replace("@PATHS@", paths, StringComparison.Ordinal)
                .Replace("@PAY@", "stripe", StringComparison.Ordinal)
                .Replace("@DELAY_MS@", pause.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal), ct);
            var psi = new ProcessStartInfo(wrk,
            [
                "-t", connections.ToString(CultureInfo.InvariantCulture), "-c", connections.ToString(CultureInfo.InvariantCulture),
                "-d", $"{(int)duration.TotalSeconds}s", "--timeout", "10s", "-s", script, baseUrl,
            ])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var process = Process.Start(psi)!;
            var output = await process.StandardOutput.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            await File.WriteAllTextAsync(Path.Combine(workDirectory, t.Kind + ".wrk.txt"), output + await process.StandardError.ReadToEndAsync(ct), ct);
            var line = output.Split('\n').FirstOrDefault(l => l.StartsWith(ResultMarker, StringComparison.Ordinal));
            return (t.Kind, line is null ? null : JsonSerializer.Deserialize<WrkOutcome>(line[ResultMarker.Length..]));
        });
        return (await Task.WhenAll(runs)).ToDictionary(r => r.Kind, r => r.Item2);
    }

    /// <summary>Every answer the shoppers logged (the files are named by shopper type and thread).</summary>
    public IReadOnlyList<Answer> Answers() => Directory.EnumerateFiles(LogDirectory, "*.log")
        .SelectMany(file => File.ReadLines(file).Select(line => (Kind: Path.GetFileName(file).Split('-')[0], Fields: line.Split(' '))))
        .Where(l => l.Fields.Length >= 4 && long.TryParse(l.Fields[0], CultureInfo.InvariantCulture, out _) && int.TryParse(l.Fields[2], CultureInfo.InvariantCulture, out _))
        .Select(l => new Answer(l.Kind, long.Parse(l.Fields[0], CultureInfo.InvariantCulture), l.Fields[1], int.Parse(l.Fields[2], CultureInfo.InvariantCulture),
            Field(l.Fields, 3), Field(l.Fields, 4), Field(l.Fields, 5)))
        .ToList();

    private static string? Field(string[] fields, int i) => fields.Length > i && fields[i].Length > 0 && fields[i] != "-" ? fields[i] : null;
}

/// <summary>One answer a shopper logged: its type, when (epoch second), which step, the status, Retry-After, the
/// order number of a 201 checkout, the problem type's last part of a refusal (database-unavailable, …).</summary>
public sealed record Answer(string Kind, long At, string Step, int Status, string? RetryAfter, string? Order, string? Problem);
