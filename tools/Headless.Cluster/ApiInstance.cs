using System.Diagnostics;
using System.Net;

namespace Headless.Cluster;

/// <summary>One API process (the built Headless.Api.dll) on its own loopback port, its output in a log file.</summary>
public sealed class ApiInstance : IAsyncDisposable
{
    private readonly Process _process;

    public string Name { get; }
    public string Role { get; }
    public int Port { get; }
    public string LogFile { get; }
    public string Url => $"http://127.0.0.1:{Port}";
    public bool HasExited => _process.HasExited;

    private ApiInstance(Process process, string name, string role, int port, string logFile)
    {
        _process = process;
        Name = name;
        Role = role;
        Port = port;
        LogFile = logFile;
    }

    public static ApiInstance Start(string apiDll, string name, string role, int port, string logDirectory, IReadOnlyDictionary<string, string> environment)
    {
        Directory.CreateDirectory(logDirectory);
        var logFile = Path.Combine(logDirectory, name + ".log");
        // exec: the shell becomes the API, so the pid we hold is the API's own (SIGKILL reaches it, not a wrapper).
        var psi = new ProcessStartInfo("bash", ["-c", "exec dotnet \"$0\" >>\"$1\" 2>&1", apiDll, logFile])
        {
            // Its output folder, so it finds its appsettings.json; .data/ stays at the repository root.
            WorkingDirectory = Path.GetDirectoryName(apiDll)!,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment)
        {
            psi.Environment[key] = value;
        }
        // `Urls`, not ASPNETCORE_URLS: appsettings.json sets Urls, and plain environment variables are read after it.
        psi.Environment["Urls"] = $"http://127.0.0.1:{port}";
        psi.Environment["Headless__Role"] = role;
        return new ApiInstance(Process.Start(psi)!, name, role, port, logFile);
    }

    /// <summary>Waits until /health/ready answers 200; fails with the end of the log if the process exits first.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited ({_process.ExitCode}) before it was ready:\n{Tail()}");
            }
            try
            {
                if ((await http.GetAsync($"{Url}/health/ready", ct)).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
            }
            await Task.Delay(200, ct);
        }
        throw new TimeoutException($"{Name} was not ready within {timeout.TotalSeconds:0} s:\n{Tail()}");
    }

    /// <summary>SIGKILL: the process gets no chance to finish anything, as when a machine dies.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    /// <summary>SIGTERM, then a graceful stop (ASP.NET Core drains requests and stops hosted services).</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }
        using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
    }

    public string Tail(int lines = 30) =>
        File.Exists(LogFile) ? string.Join('\n', File.ReadLines(LogFile).TakeLast(lines)) : "(no log)";

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }
}
