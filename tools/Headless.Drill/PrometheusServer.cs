using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Headless.Drill;

/// <summary>
/// Debian's Prometheus server for the drill: scrapes every instance's /metrics (loopback, which the API answers
/// by default) and evaluates a copy of ops/prometheus/alerts.yml scaled to the run (<see cref="DrillRules"/>),
/// written next to its data at run time. The drill reads the ALERTS series from its HTTP API to say which alerts
/// fired, when, and whether they cleared. The real durations stay proven by `promtool test rules`.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    public const string Binary = "/usr/bin/prometheus";

    private readonly Process _process;
    private readonly HttpClient _http;

    private PrometheusServer(Process process, int port)
    {
        _process = process;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public const int IntervalSeconds = 2;

    public static async Task<PrometheusServer?> StartIfInstalledAsync(string directory, int port, IReadOnlyList<string> targets, DrillRules rules, TextWriter log, CancellationToken ct)
    {
        if (!File.Exists(Binary))
        {
            log.WriteLine($"Prometheus is not installed ({Binary}): alerts are not watched. `./build.sh ensure-prometheus` installs it.");
            return null;
        }
        Directory.CreateDirectory(directory);
        var config = Path.Combine(directory, "prometheus.yml");
        var rulesFile = Path.Combine(directory, "alerts.drill.yml");
        await File.WriteAllTextAsync(rulesFile, rules.Text, ct);
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: {IntervalSeconds}s
              evaluation_interval: {IntervalSeconds}s
            rule_files:
              - {rulesFile}
            scrape_configs:
              - job_name: headless
                static_configs:
                  - targets: [{string.Join(", ", targets.Select(t => $"'{t}'"))}]

            """, ct);
        var logFile = Path.Combine(directory, "prometheus.log");
        var psi = new ProcessStartInfo("bash", ["-c", "exec \"$0\" --config.file=\"$1\" --storage.tsdb.path=\"$2\" --web.listen-address=\"$3\" >>\"$4\" 2>&1",
            Binary, config, Path.Combine(directory, "data"), $"127.0.0.1:{port}", logFile])
        { UseShellExecute = false };
        var server = new PrometheusServer(Process.Start(psi)!, port);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (server._process.HasExited)
            {
                throw new DrillError($"Prometheus exited: {await File.ReadAllTextAsync(logFile, ct)}");
            }
            try
            {
                if ((await server._http.GetAsync("-/ready", ct)).IsSuccessStatusCode)
                {
                    log.WriteLine($"Prometheus at http://127.0.0.1:{port} scraping {targets.Count} instances every {IntervalSeconds} s, rules {rulesFile} ({rules.Scaling})");
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200, ct);
        }
        throw new DrillError($"Prometheus did not become ready in 30 s: {logFile}");
    }

    /// <summary>One alert (name, and the consumer label where it has one) firing from First to Last; pending time is left out.</summary>
    public sealed record Firing(string Name, string? Consumer, DateTimeOffset First, DateTimeOffset Last);

    /// <summary>Every firing spell in the ALERTS series between the two times, one per alert and label set and gap-free stretch.</summary>
    public async Task<IReadOnlyList<Firing>> FiringsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        var url = string.Create(CultureInfo.InvariantCulture,
            $"api/v1/query_range?query={Uri.EscapeDataString("ALERTS{alertstate=\"firing\"}")}&start={from.ToUnixTimeSeconds()}&end={to.ToUnixTimeSeconds()}&step={IntervalSeconds}");
        using var doc = JsonDocument.Parse(await _http.GetStringAsync(url, ct));
        var firings = new List<Firing>();
        foreach (var series in doc.RootElement.GetProperty("data").GetProperty("result").EnumerateArray())
        {
            var metric = series.GetProperty("metric");
            var name = metric.GetProperty("alertname").GetString()!;
            var consumer = metric.TryGetProperty("consumer", out var c) ? c.GetString() : null;
            DateTimeOffset? first = null, last = null;
            foreach (var point in series.GetProperty("values").EnumerateArray())
            {
                var at = DateTimeOffset.FromUnixTimeMilliseconds((long)(point[0].GetDouble() * 1000));
                if (last is { } l && at - l > TimeSpan.FromSeconds(3 * IntervalSeconds))
                {
                    firings.Add(new Firing(name, consumer, first!.Value, l));
                    first = null;
                }
                first ??= at;
                last = at;
            }
            if (first is { } f && last is { } end)
            {
                firings.Add(new Firing(name, consumer, f, end));
            }
        }
        return [.. firings.OrderBy(f => f.First)];
    }

    /// <summary>The alerts pending or firing right now.</summary>
    public async Task<IReadOnlyList<string>> ActiveAsync(CancellationToken ct)
    {
        using var doc = JsonDocument.Parse(await _http.GetStringAsync("api/v1/alerts", ct));
        return [.. doc.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray()
            .Select(a => $"{a.GetProperty("labels").GetProperty("alertname").GetString()} {a.GetProperty("state").GetString()}")];
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _http.Dispose();
    }
}
