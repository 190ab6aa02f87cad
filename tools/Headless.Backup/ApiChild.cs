using System.Diagnostics;
using Headless.Api.Platform.Database;

namespace Headless.Backup;

/// <summary>The Release API as a child process for the DR drill: Development (test payments, mail to files) on
/// the drill's database, as its least-privileged login; output to a log file. Disposing kills it.</summary>
internal sealed class ApiChild : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private ApiChild(Process process, StreamWriter log, int port)
    {
        _process = process;
        _log = log;
        Http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 32 }) { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public HttpClient Http { get; }

    public string Url => Http.BaseAddress!.ToString();

    public static async Task<ApiChild> StartAsync(string apiDll, int port, DatabaseLogins logins, string logPath, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(apiDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(apiDll);
        foreach (var inherited in psi.Environment.Keys.Where(k => k.StartsWith("Headless__", StringComparison.OrdinalIgnoreCase)
            || k.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase) || k.Equals("Urls", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            psi.Environment.Remove(inherited);
        }
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        psi.Environment["Headless__Database__ConnectionString"] = logins.App;
        psi.Environment["Headless__Database__MigrationConnectionString"] = logins.Owner;
        psi.Environment["Headless__Catalog__LoadDemoCatalog"] = "false";
        psi.Environment["Urls"] = $"http://127.0.0.1:{port}";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logPath))!);
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var api = new ApiChild(process, log, port);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new BackupError($"The API exited (code {process.ExitCode}) before it was ready: see {Path.GetFullPath(logPath)}.");
            }
            try
            {
                using var ready = await api.Http.GetAsync("/health/ready", ct);
                if (ready.IsSuccessStatusCode)
                {
                    return api;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            if (clock.Elapsed > TimeSpan.FromMinutes(3))
            {
                await api.DisposeAsync();
                throw new BackupError($"The API was not ready within 3 minutes: see {Path.GetFullPath(logPath)}.");
            }
            await Task.Delay(100, ct);
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            log.WriteLine(line);
        }
    }

    private bool _disposed;

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        Http.Dispose();
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }
}
