using System.Diagnostics;
using System.Globalization;
using Headless.Api.Platform.Hosting;

namespace Headless.Bench;

/// <summary>
/// The storefront generator's CLI (<c>dotnet storefront-generator/bin/Release/net10.0/Headless.Storefront.dll
/// build|watch ...</c>) as a child process, started in the repository root like a user would. Its output lines
/// are kept with the time each arrived, and its peak resident memory (VmHWM) is sampled from /proc while it runs.
/// </summary>
internal sealed class GeneratorProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _gate = new();
    private readonly List<(long At, string Line)> _lines = [];
    private readonly Task _sampler;
    private readonly CancellationTokenSource _stopSampling = new();
    private bool _closed;

    private GeneratorProcess(Process process, StreamWriter log)
    {
        _process = process;
        _log = log;
        _sampler = Task.Run(SampleMemoryAsync);
    }

    /// <summary>The Release build of the CLI; HEADLESS_BENCH_STOREFRONT_DLL points at another build (an older
    /// commit's, to measure an optimisation before and after on the same machine and data).</summary>
    public static string Dll { get; } = Environment.GetEnvironmentVariable("HEADLESS_BENCH_STOREFRONT_DLL") is { Length: > 0 } other
        ? Path.GetFullPath(other)
        : Path.Combine(RepoPaths.Root, "storefront-generator", "bin", "Release", "net10.0", "Headless.Storefront.dll");

    public int Pid => _process.Id;

    public long StartedAt { get; private init; }

    /// <summary>The most resident memory the process had (VmHWM), as last sampled.</summary>
    public long PeakBytes { get; private set; }

    public bool HasExited => _process.HasExited;

    public static GeneratorProcess Start(IReadOnlyList<string> args, string logPath)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        log.WriteLine($"# {DateTime.UtcNow:O} dotnet {Dll} {string.Join(' ', args)}");
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var startedAt = Stopwatch.GetTimestamp();
        if (!process.Start())
        {
            throw new BenchFailure("Could not start `dotnet` for the storefront generator.");
        }
        Children.Track(process);
        var generator = new GeneratorProcess(process, log) { StartedAt = startedAt };
        process.OutputDataReceived += (_, e) => generator.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => generator.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return generator;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }
        var at = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            _lines.Add((at, line));
            if (!_closed)
            {
                _log.WriteLine(line);
            }
        }
    }

    public int LineCount
    {
        get
        {
            lock (_gate)
            {
                return _lines.Count;
            }
        }
    }

    public IReadOnlyList<(long At, string Line)> Lines()
    {
        lock (_gate)
        {
            return [.. _lines];
        }
    }

    /// <summary>The first line from index <paramref name="from"/> on that matches, with its index and arrival time.</summary>
    public async Task<(int Index, long At, string Line)> WaitForLineAsync(Func<string, bool> match, int from, TimeSpan timeout, string what, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            lock (_gate)
            {
                for (var i = from; i < _lines.Count; i++)
                {
                    if (match(_lines[i].Line))
                    {
                        return (i, _lines[i].At, _lines[i].Line);
                    }
                }
            }
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(ct);
                lock (_gate)
                {
                    if (_lines.Skip(from).Any(l => match(l.Line)))
                    {
                        continue;
                    }
                }
                throw new BenchFailure($"The storefront generator exited with code {_process.ExitCode} while waiting for {what}. Its last lines:\n{Tail(20)}");
            }
            if (clock.Elapsed > timeout)
            {
                throw new BenchFailure($"The storefront generator did not report {what} within {timeout.TotalSeconds:F0} s. Its last lines:\n{Tail(20)}");
            }
            await Task.Delay(10, ct);
        }
    }

    /// <summary>Waits for the process to end (and be reaped, so its CPU time counts in our children's).</summary>
    public async Task<(int ExitCode, long EndedAt)> WaitForExitAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new BenchFailure($"The storefront generator did not finish within {timeout.TotalMinutes:F0} min. Its last lines:\n{Tail(20)}");
        }
        var endedAt = Stopwatch.GetTimestamp();
        await _stopSampling.CancelAsync();
        await _sampler;
        return (_process.ExitCode, endedAt);
    }

    public string Tail(int count)
    {
        lock (_gate)
        {
            return string.Join('\n', _lines.TakeLast(count).Select(l => "  " + l.Line));
        }
    }

    private async Task SampleMemoryAsync()
    {
        var path = $"/proc/{_process.Id}/status";
        while (!_stopSampling.IsCancellationRequested)
        {
            try
            {
                foreach (var line in File.ReadLines(path))
                {
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    {
                        var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                        PeakBytes = Math.Max(PeakBytes, kb * 1024);
                        break;
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                // Exited between two samples: the last sample stands.
                return;
            }
            try
            {
                await Task.Delay(50, _stopSampling.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // watch stops on SIGTERM (it cancels and returns); then nothing of it may survive.
            await Shell.RunAsync("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)], CancellationToken.None);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                Log.Warn($"The storefront generator (pid {_process.Id}) did not stop within 10 s of SIGTERM; killing it.");
            }
        }
        Children.KillTree(_process);
        Children.Forget(_process);
        await _stopSampling.CancelAsync();
        await _sampler;
        lock (_gate)
        {
            _closed = true;
            _log.Dispose();
        }
        _process.Dispose();
        _stopSampling.Dispose();
    }
}
