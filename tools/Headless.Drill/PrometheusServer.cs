using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Headless.Api.Platform.Hosting;

namespace Headless.Drill;

/// <summary>
/// Debian's Prometheus server for the drill: scrapes every instance's /metrics every 5 s (loopback, which
/// the API answers by default) with ops/prometheus/alerts.yml loaded and evaluated every 5 s. The drill reads
/// the ALERTS series over the run from its HTTP API to say which alerts went pending or fired, and cleared.
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

    public static async Task<PrometheusServer?> StartIfInstalledAsync(string directory, int port, IReadOnlyList<string> targets, TextWriter log, CancellationToken ct)
    {
        if (!File.Exists(Binary))
        {
            log.WriteLine($"Prometheus is not installed ({Binary}): alerts are not watched. `./build.sh ensure-prometheus` installs it.");
            return null;
        }
        Directory.CreateDirectory(directory);
        var config = Path.Combine(directory, "prometheus.yml");
        var rules = Path.Combine(RepoPaths.Root, "ops", "prometheus", "alerts.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 5s
              evaluation_interval: 5s
            rule_files:
              - {rules}
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
                    log.WriteLine($"Prometheus at http://127.0.0.1:{port} scraping {targets.Count} instances, rules {rules}");
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

    /// <summary>An alert seen in the ALERTS series during the run.</summary>
    public sealed record AlertSeen(string Name, string HighestState, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, bool ActiveAtEnd);

    public async Task<IReadOnlyList<AlertSeen>> AlertsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        var url = string.Create(CultureInfo.InvariantCulture,
            $"api/v1/query_range?query=ALERTS&start={from.ToUnixTimeSeconds()}&end={to.ToUnixTimeSeconds()}&step=5");
        using var doc = JsonDocument.Parse(await _http.GetStringAsync(url, ct));
        var seen = new List<(string Name, string State, DateTimeOffset At)>();
        foreach (var series in doc.RootElement.GetProperty("data").GetProperty("result").EnumerateArray())
        {
            var metric = series.GetProperty("metric");
            var name = metric.GetProperty("alertname").GetString()!;
            var state = metric.GetProperty("alertstate").GetString()!;
            foreach (var point in series.GetProperty("values").EnumerateArray())
            {
                seen.Add((name, state, DateTimeOffset.FromUnixTimeMilliseconds((long)(point[0].GetDouble() * 1000))));
            }
        }
        return seen.GroupBy(s => s.Name, StringComparer.Ordinal)
            .Select(g => new AlertSeen(g.Key, g.Any(s => s.State == "firing") ? "fired" : "pending only",
                g.Min(s => s.At), g.Max(s => s.At), g.Max(s => s.At) >= to.AddSeconds(-10)))
            .OrderBy(a => a.FirstSeen)
            .ToList();
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
