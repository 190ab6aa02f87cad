using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;

namespace Headless.Bench;

/// <summary>One request of a run, built before the clock starts (path, body bytes, Idempotency-Key).</summary>
internal sealed record PreparedRequest(HttpMethod Method, string Path, byte[]? Body, string? IdempotencyKey);

/// <summary>What one run of the load generator measured. Latencies are exact (every request's
/// Stopwatch time, sorted), not from a bucketed histogram.</summary>
internal sealed record LoadRun(
    string Label, long Requests, double Seconds, double[] SortedLatencyMs, IReadOnlyDictionary<string, long> Outcomes, long TransportErrors,
    CpuShare Cpu, double LoadGenCores, long XactCommit, long XactRollback)
{
    public double Rps => Seconds > 0 ? Requests / Seconds : 0;

    public double P50Ms => Percentile(0.50);

    public double P90Ms => Percentile(0.90);

    public double P99Ms => Percentile(0.99);

    public double MaxMs => SortedLatencyMs.Length == 0 ? 0 : SortedLatencyMs[^1];

    public long Count(string outcome) => Outcomes.GetValueOrDefault(outcome);

    /// <summary>CPU time of the load generator per request, in microseconds.</summary>
    public double LoadGenUsPerRequest => Requests == 0 ? 0 : LoadGenCores * Seconds * 1_000_000 / Requests;

    public double Percentile(double p)
    {
        if (SortedLatencyMs.Length == 0)
        {
            return 0;
        }
        var rank = (int)Math.Ceiling(p * SortedLatencyMs.Length) - 1;
        return SortedLatencyMs[Math.Clamp(rank, 0, SortedLatencyMs.Length - 1)];
    }

    public string OutcomeSummary => string.Join(", ", Outcomes.OrderByDescending(o => o.Value).Select(o => string.Create(CultureInfo.InvariantCulture, $"{o.Key}: {o.Value:N0}")))
        + (TransportErrors > 0 ? string.Create(CultureInfo.InvariantCulture, $", transport errors: {TransportErrors:N0}") : "");
}

/// <summary>
/// A closed-loop HTTP load generator: <c>workers</c> tasks, each sending one request at a time over its
/// own keep-alive connection, taking the next prepared request from a shared counter until the time
/// window closes or the requests run out. Each request's latency is its Stopwatch time from send to the
/// last byte of the response. It is what wrk cannot do easily: a distinct cart and Idempotency-Key per
/// request. Its own CPU is measured (/proc/self/stat) so its cost can be stated next to the figures.
/// </summary>
internal sealed class LoadGen : IDisposable
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly HttpClient _http;
    private readonly int _workers;

    public LoadGen(int workers)
    {
        _workers = workers;
        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = workers,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        })
        {
            BaseAddress = new Uri(ApiProcess.BaseUrl),
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    public int Workers => _workers;

    /// <summary>
    /// Runs <paramref name="requests"/> (request i is <c>requests(i)</c>, for i below <paramref name="count"/>)
    /// for at most <paramref name="seconds"/>. <paramref name="classify"/> names each response's outcome from
    /// its status and (for status >= 400 only) its body.
    /// </summary>
    public async Task<LoadRun> RunAsync(string label, Func<long, PreparedRequest> requests, long count, double seconds,
        Func<int, string?, string> classify, int apiPid, Func<CancellationToken, Task<(long Commit, long Rollback)>> xacts, CancellationToken ct)
    {
        var (commit0, rollback0) = await xacts(ct);
        var outcomes = new Dictionary<string, long>(StringComparer.Ordinal);
        var latencies = new List<double>[_workers];
        long next = -1;
        long transportErrors = 0;
        var cpu = new CpuSampler(apiPid);
        var self0 = SelfTicks();
        var clock = Stopwatch.StartNew();
        var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var tickMs = 1000.0 / Stopwatch.Frequency;

        async Task Worker(int w)
        {
            var mine = latencies[w] = new List<double>(4096);
            var local = new Dictionary<string, long>(StringComparer.Ordinal);
            while (!ct.IsCancellationRequested && Stopwatch.GetTimestamp() < deadline)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= count)
                {
                    break;
                }
                var r = requests(i);
                using var message = new HttpRequestMessage(r.Method, r.Path);
                if (r.Body is { } body)
                {
                    message.Content = new ByteArrayContent(body);
                    message.Content.Headers.ContentType = Json;
                }
                if (r.IdempotencyKey is { } key)
                {
                    message.Headers.TryAddWithoutValidation("Idempotency-Key", key);
                }
                var start = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, ct);
                    var end = Stopwatch.GetTimestamp();
                    mine.Add((end - start) * tickMs);
                    var status = (int)response.StatusCode;
                    var text = status >= 400 ? await response.Content.ReadAsStringAsync(ct) : null;
                    var outcome = classify(status, text);
                    local[outcome] = local.GetValueOrDefault(outcome) + 1;
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref transportErrors);
                }
                catch (TaskCanceledException) when (!ct.IsCancellationRequested)
                {
                    Interlocked.Increment(ref transportErrors);
                }
            }
            lock (outcomes)
            {
                foreach (var (k, v) in local)
                {
                    outcomes[k] = outcomes.GetValueOrDefault(k) + v;
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, _workers).Select(w => Task.Run(() => Worker(w), ct)));
        var elapsed = clock.Elapsed.TotalSeconds;
        var self = SelfTicks() - self0;
        var share = cpu.Stop();
        ct.ThrowIfCancellationRequested();
        var (commit1, rollback1) = await xacts(ct);
        var all = latencies.Where(l => l is not null).SelectMany(l => l).ToArray();
        Array.Sort(all);
        var loadGenCores = self / (double)ClockTicksPerSecond / elapsed;
        // The sampler counts this process as "other": move our own share out of it.
        share = share with { Other = Math.Max(0, share.Other - loadGenCores) };
        return new LoadRun(label, all.Length, elapsed, all, outcomes, transportErrors, share, loadGenCores, commit1 - commit0, rollback1 - rollback0);
    }

    /// <summary>Fires every request at once (one connection each, all released together): the race a
    /// flash sale makes. Returns the outcomes.</summary>
    public static async Task<IReadOnlyDictionary<string, long>> BurstAsync(IReadOnlyList<PreparedRequest> requests, Func<int, string?, string> classify, CancellationToken ct)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = requests.Count, UseCookies = false, UseProxy = false })
        {
            BaseAddress = new Uri(ApiProcess.BaseUrl),
            Timeout = TimeSpan.FromSeconds(120),
        };
        // Open the connections first, so the burst is not a connect storm.
        await Task.WhenAll(Enumerable.Range(0, requests.Count).Select(async _ =>
        {
            using var r = await http.GetAsync("/health/live", ct);
        }));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var outcomes = new Dictionary<string, long>(StringComparer.Ordinal);
        var tasks = requests.Select(async r =>
        {
            await gate.Task;
            using var message = new HttpRequestMessage(r.Method, r.Path);
            message.Content = new ByteArrayContent(r.Body ?? []);
            message.Content.Headers.ContentType = Json;
            if (r.IdempotencyKey is { } key)
            {
                message.Headers.TryAddWithoutValidation("Idempotency-Key", key);
            }
            string outcome;
            try
            {
                using var response = await http.SendAsync(message, ct);
                var status = (int)response.StatusCode;
                outcome = classify(status, status >= 400 ? await response.Content.ReadAsStringAsync(ct) : null);
            }
            catch (HttpRequestException e)
            {
                outcome = "transport error: " + e.Message;
            }
            lock (outcomes)
            {
                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            }
        }).ToList();
        gate.SetResult();
        await Task.WhenAll(tasks);
        return outcomes;
    }

    private const int ClockTicksPerSecond = 100;

    private static long SelfTicks()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    public void Dispose() => _http.Dispose();
}
