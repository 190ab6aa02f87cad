using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Headless.Bench;

/// <summary>What wrk's Lua <c>done()</c> reports for one run: exact counts and percentiles from its
/// latency histogram (microseconds), instead of parsing wrk's rounded text.</summary>
internal sealed record WrkResult(
    [property: JsonPropertyName("requests")] double Requests,
    [property: JsonPropertyName("duration_us")] double DurationUs,
    [property: JsonPropertyName("bytes")] double Bytes,
    [property: JsonPropertyName("connect")] double ConnectErrors,
    [property: JsonPropertyName("read")] double ReadErrors,
    [property: JsonPropertyName("write")] double WriteErrors,
    [property: JsonPropertyName("status")] double StatusErrors,
    [property: JsonPropertyName("timeout")] double Timeouts,
    [property: JsonPropertyName("p50_us")] double P50Us,
    [property: JsonPropertyName("p90_us")] double P90Us,
    [property: JsonPropertyName("p99_us")] double P99Us,
    [property: JsonPropertyName("p999_us")] double P999Us,
    [property: JsonPropertyName("max_us")] double MaxUs,
    [property: JsonPropertyName("mean_us")] double MeanUs)
{
    public double RequestsPerSecond => Requests / (DurationUs / 1_000_000.0);

    public double SocketErrors => ConnectErrors + ReadErrors + WriteErrors + Timeouts;

    public string ErrorSummary =>
        $"{StatusErrors:N0} responses with status >= 400, socket errors: connect {ConnectErrors:N0}, read {ReadErrors:N0}, write {WriteErrors:N0}, timeout {Timeouts:N0}";
}

/// <summary>Debian's wrk, driven by a generated Lua script that requests paths drawn at random from a file.</summary>
internal sealed class Wrk(string executable, string version, string workDirectory, string rawLogPath)
{
    private const string ResultMarker = "BENCH_RESULT ";

    public string Version { get; } = version;

    public static async Task<Wrk> EnsureInstalledAsync(string workDirectory, string rawLogPath, CancellationToken ct)
    {
        var wrk = Shell.FindOnPath("wrk");
        if (wrk is null)
        {
            Log.Step("wrk is not installed: installing it from apt (apt-get install -y wrk) ...");
            var asRoot = Environment.UserName == "root";
            var env = new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" };
            async Task<(int Exit, string Output)> Apt(params string[] args) => asRoot
                ? await Shell.RunAsync("apt-get", args, ct, env)
                : await Shell.RunAsync("sudo", ["-n", "apt-get", .. args], ct, env);
            var (exit, output) = await Apt("install", "-y", "-q", "wrk");
            if (exit != 0)
            {
                Log.Info("Not found in the package lists: running apt-get update first ...");
                await Apt("update", "-q");
                (exit, output) = await Apt("install", "-y", "-q", "wrk");
            }
            wrk = Shell.FindOnPath("wrk");
            if (exit != 0 || wrk is null)
            {
                throw new BenchFailure($"Could not install wrk (apt-get exit {exit}). Install it yourself (`sudo apt-get install wrk`) and run again. apt said:\n{output.Trim()}");
            }
        }
        var (_, versionText) = await Shell.RunAsync(wrk, ["--version"], ct);
        var version = versionText.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Split(" [", 2)[0].Trim() ?? "wrk";
        Log.Info($"Load generator: {version} ({wrk}).");
        return new Wrk(wrk, version, workDirectory, rawLogPath);
    }

    /// <summary>Writes the paths file and the Lua script that draws from it; returns the script's path.</summary>
    public string WriteScript(string name, IReadOnlyList<string> paths)
    {
        var pathsFile = Path.Combine(workDirectory, name + ".paths");
        File.WriteAllLines(pathsFile, paths);
        // A copy next to the logs, to replay a scenario by hand.
        File.WriteAllLines(Path.Combine(Path.GetDirectoryName(rawLogPath)!, name + ".paths"), paths);
        var script = Path.Combine(workDirectory, name + ".lua");
        File.WriteAllText(script, LuaScript.Replace("@PATHS_FILE@", LuaString(pathsFile), StringComparison.Ordinal));
        return script;
    }

    public async Task<WrkResult> RunAsync(string label, string script, BenchOptions options, int seconds, CancellationToken ct)
    {
        string[] args =
        [
            "-t", options.Threads.ToString(CultureInfo.InvariantCulture),
            "-c", options.Connections.ToString(CultureInfo.InvariantCulture),
            "-d", seconds.ToString(CultureInfo.InvariantCulture) + "s",
            "--timeout", options.TimeoutSeconds.ToString(CultureInfo.InvariantCulture) + "s",
            "--latency",
            "-s", script,
            ApiProcess.BaseUrl,
        ];
        var (exit, output) = await Shell.RunAsync(executable, args, ct);
        await File.AppendAllTextAsync(rawLogPath,
            $"==== {DateTime.UtcNow:O} {label}\n$ wrk {string.Join(' ', args)}\n{output}\n", CancellationToken.None);
        ct.ThrowIfCancellationRequested();
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith(ResultMarker, StringComparison.Ordinal));
        if (exit != 0 || line is null)
        {
            throw new BenchFailure($"wrk failed ({label}, exit {exit}):\n{output.Trim()}");
        }
        return JsonSerializer.Deserialize<WrkResult>(line[ResultMarker.Length..])
            ?? throw new BenchFailure($"wrk printed an empty result ({label}).");
    }

    private static string LuaString(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    // Each wrk thread has its own Lua state: setup() numbers the threads, init() loads the paths and
    // pre-formats one request per path, request() picks one at random (no per-request allocation in
    // Lua, so wrk spends its CPU on sockets). No response() callback: that would make wrk hand every
    // body to Lua. wrk itself counts status >= 400 and socket errors; done() prints them as JSON.
    private const string LuaScript = """
        -- Generated by bench/Headless.Bench (./build.sh bench). Requests paths drawn at random from a file.
        local paths_file = @PATHS_FILE@
        local thread_count = 0

        function setup(thread)
          thread_count = thread_count + 1
          thread:set("thread_number", thread_count)
        end

        local prepared = {}

        function init(args)
          for line in io.lines(paths_file) do
            if #line > 0 then
              prepared[#prepared + 1] = wrk.format("GET", line, { ["Accept"] = "application/json" })
            end
          end
          if #prepared == 0 then
            error("no paths in " .. paths_file)
          end
          math.randomseed(7919 * thread_number)
          for i = 1, 16 do math.random() end
        end

        function request()
          return prepared[math.random(#prepared)]
        end

        function done(summary, latency, requests)
          local e = summary.errors
          io.write(string.format(
            'BENCH_RESULT {"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f,' ..
            '"p50_us":%.0f,"p90_us":%.0f,"p99_us":%.0f,"p999_us":%.0f,"max_us":%.0f,"mean_us":%.1f}\n',
            summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
            latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
            latency.max, latency.mean))
        end

        """;
}

/// <summary>
/// Where the CPU went during a run, in cores (of <see cref="Environment.ProcessorCount"/>): the API
/// process, every `postgres` process, wrk (our reaped children's time, read from /proc/self/stat), the
/// kernel's interrupt handling, and the rest (this harness, the kernel's other work). Linux only; all from /proc.
/// </summary>
internal sealed class CpuSampler
{
    private readonly int _apiPid;
    private long _total;
    private long _idle;
    private long _irq;
    private long _api;
    private Dictionary<int, long> _postgres = [];
    private long _children;

    public CpuSampler(int apiPid)
    {
        _apiPid = apiPid;
        Sample(out _total, out _idle, out _irq, out _api, out _postgres, out _children);
    }

    public CpuShare Stop()
    {
        Sample(out var total, out var idle, out var irq, out var api, out var postgres, out var children);
        var cores = Environment.ProcessorCount;
        var elapsed = (total - _total) / (double)cores;
        if (elapsed <= 0)
        {
            return new CpuShare(0, 0, 0, 0, 0, 0);
        }
        // Backends that existed at both samples, plus any new ones (their whole time falls in the window).
        long pg = 0;
        foreach (var (pid, ticks) in postgres)
        {
            pg += ticks - _postgres.GetValueOrDefault(pid, 0);
        }
        double Cores(long ticks) => Math.Max(0, ticks / elapsed);
        var busy = Cores((total - _total) - (idle - _idle));
        var apiCores = Cores(api - _api);
        var pgCores = Cores(pg);
        var wrkCores = Cores(children - _children);
        var irqCores = Cores(irq - _irq);
        return new CpuShare(apiCores, pgCores, wrkCores, irqCores, Math.Max(0, busy - apiCores - pgCores - wrkCores - irqCores), Math.Max(0, cores - busy));
    }

    private void Sample(out long total, out long idle, out long irq, out long api, out Dictionary<int, long> postgres, out long children)
    {
        var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        total = cpu.Sum();
        idle = cpu[3] + cpu[4];
        irq = cpu[5] + cpu[6];
        api = ProcessTicks(_apiPid, includeChildren: false) ?? 0;
        postgres = [];
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "comm")).Trim() == "postgres" && IsOurServer(pid) && ProcessTicks(pid, false) is { } ticks)
                {
                    postgres[pid] = ticks;
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        children = ChildrenTicks();
    }

    /// <summary>The postmaster of the benchmark's own cluster: only it and its children count as
    /// "PostgreSQL" (other clusters on the machine - the tests' - count as other work). Null: a server we
    /// do not own (Headless__Database__ConnectionString), where every postgres process counts.</summary>
    public static int? PostmasterPid { get; set; }

    private static bool IsOurServer(int pid)
    {
        if (PostmasterPid is not { } postmaster || pid == postmaster)
        {
            return true;
        }
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields[1] == postmaster.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>utime + stime (fields 14 and 15 of /proc/pid/stat).</summary>
    private static long? ProcessTicks(int pid, bool includeChildren)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is field 3 (state): utime = field 14 -> index 11, stime -> 12, cutime -> 13, cstime -> 14.
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            if (includeChildren)
            {
                ticks += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
            }
            return ticks;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static long ChildrenTicks()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
    }
}

/// <summary>How busy the machine is with work that is not ours.</summary>
internal static class Background
{
    /// <summary>Cores in use over <paramref name="window"/>, minus the API's and PostgreSQL's (idle between runs).</summary>
    public static async Task<double> CoresBusyAsync(int apiPid, TimeSpan window, CancellationToken ct)
    {
        var sampler = new CpuSampler(apiPid);
        await Task.Delay(window, ct);
        var share = sampler.Stop();
        return share.Other + share.Wrk;
    }

    /// <summary>Waits (at most <paramref name="max"/>) for other work on the machine - builds, tests -
    /// to drop below <paramref name="threshold"/> cores, so it does not eat into the measured run.</summary>
    public static async Task<double> WaitForQuietAsync(int apiPid, double threshold, TimeSpan max, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var busy = await CoresBusyAsync(apiPid, TimeSpan.FromSeconds(1), ct);
        if (busy <= threshold)
        {
            return busy;
        }
        Log.Warn($"Other work on this machine uses {busy:F2} cores; waiting up to {max.TotalSeconds:F0} s for it to finish before measuring ...");
        while (busy > threshold && clock.Elapsed < max)
        {
            busy = await CoresBusyAsync(apiPid, TimeSpan.FromSeconds(2), ct);
        }
        Log.Info(busy <= threshold
            ? $"Quiet again after {clock.Elapsed.TotalSeconds:F0} s ({busy:F2} cores busy)."
            : $"Still {busy:F2} cores busy with other work; measuring anyway (see the 'other' CPU column).");
        return busy;
    }
}

/// <param name="Interrupts">Time the kernel spent in hard and soft interrupts (loopback TCP is mostly
/// softirq work), which /proc charges to no process.</param>
internal sealed record CpuShare(double Api, double Postgres, double Wrk, double Interrupts, double Other, double Idle);
