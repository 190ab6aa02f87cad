using System.Diagnostics;
using System.Net.Sockets;

namespace Headless.Bench;

/// <summary>
/// The Release API (<c>dotnet api/bin/Release/net10.0/Headless.Api.dll</c>) as a child process on
/// 127.0.0.1:5090, its stdout and stderr written to a log file. Disposing stops it (SIGTERM, then the
/// whole process tree is killed).
/// </summary>
internal sealed class ApiProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _logGate = new();
    private bool _redacting;
    private bool _closed;

    private ApiProcess(Process process, StreamWriter log, string logPath)
    {
        _process = process;
        _log = log;
        LogPath = logPath;
    }

    public static string BaseUrl => $"http://127.0.0.1:{BenchOptions.ApiPort}";

    public string LogPath { get; }

    public int Pid => _process.Id;

    /// <summary>Warnings and errors logged while starting, before /health/ready answered.</summary>
    public (int Warnings, int Errors) AtStart { get; private set; }

    /// <summary>Warnings and errors logged once it was ready: under load.</summary>
    public (int Warnings, int Errors) Serving { get; private set; }

    private bool _ready;
    private readonly Stopwatch _sinceStart = new();

    /// <summary>From starting the process to the first 200 from /health/ready (migrations checked, caches
    /// warm enough to serve): what a blue/green switch or a restarted instance waits for.</summary>
    public TimeSpan StartupTime { get; private set; }

    public List<string> FirstProblems { get; } = [];

    public HttpClient Http { get; } = new(new SocketsHttpHandler { MaxConnectionsPerServer = 16, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        BaseAddress = new Uri(BaseUrl),
        Timeout = TimeSpan.FromSeconds(30),
    };

    public static async Task<ApiProcess> StartAsync(string apiDll, string connectionString, bool readCache, string logPath, CancellationToken ct,
        IReadOnlyDictionary<string, string>? extraEnvironment = null)
    {
        await EnsurePortIsFreeAsync(ct);
        var psi = new ProcessStartInfo("dotnet")
        {
            // Its content root is the working directory: start it in its output folder so it reads its appsettings.json.
            WorkingDirectory = Path.GetDirectoryName(apiDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(apiDll);
        foreach (var inherited in new[] { "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "DOTNET_URLS" })
        {
            psi.Environment.Remove(inherited);
        }
        psi.Environment["Headless__Database__ConnectionString"] = BenchOptions.ApiMaxPool is { } pool
            ? $"{connectionString};Maximum Pool Size={pool}"
            : connectionString;
        psi.Environment["Headless__Catalog__LoadDemoCatalog"] = "false";
        psi.Environment["Headless__Catalog__ReadCache"] = readCache ? "true" : "false";
        psi.Environment["Urls"] = BaseUrl;
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["DOTNET_ENVIRONMENT"] = "Production";
        var production = await ProductionSettings.EnvironmentAsync(Path.GetDirectoryName(logPath)!, ct);
        foreach (var (name, value) in production.Concat(extraEnvironment ?? new Dictionary<string, string>()))
        {
            psi.Environment[name] = value;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        log.WriteLine($"# {DateTime.UtcNow:O} dotnet {apiDll} (Headless__Catalog__ReadCache={readCache.ToString().ToLowerInvariant()}, Urls={BaseUrl})");
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var api = new ApiProcess(process, log, logPath);
        api._sinceStart.Start();
        process.OutputDataReceived += (_, e) => api.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => api.OnLine(e.Data);
        if (!process.Start())
        {
            throw new BenchFailure("Could not start `dotnet` for the API.");
        }
        Children.Track(process);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Log.Info($"API started (pid {process.Id}, read cache {(readCache ? "on" : "off")}, log {logPath}); waiting for {BaseUrl}/health/ready ...");
        try
        {
            await api.WaitUntilReadyAsync(ct);
        }
        catch
        {
            await api.DisposeAsync();
            throw;
        }
        return api;
    }

    private static async Task EnsurePortIsFreeAsync(CancellationToken ct)
    {
        using var probe = new TcpClient();
        try
        {
            await probe.ConnectAsync("127.0.0.1", BenchOptions.ApiPort, ct);
        }
        catch (SocketException)
        {
            return;
        }
        throw new BenchFailure(
            $"Something already listens on 127.0.0.1:{BenchOptions.ApiPort}, the port the benchmark runs the API on. " +
            $"A leftover API from an interrupted benchmark? Find it with `ss -ltnp 'sport = :{BenchOptions.ApiPort}'` and stop it.");
    }

    private async Task WaitUntilReadyAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (_process.HasExited)
            {
                throw new BenchFailure($"The API exited with code {_process.ExitCode} before it was ready. Its log ({LogPath}) ends with:\n{Tail(30)}");
            }
            try
            {
                using var response = await Http.GetAsync("/health/ready", ct);
                if (response.IsSuccessStatusCode)
                {
                    lock (_logGate)
                    {
                        _ready = true;
                    }
                    StartupTime = _sinceStart.Elapsed;
                    Log.Info($"API ready in {clock.Elapsed.TotalSeconds:F1} s ({StartupTime.TotalSeconds:F2} s from process start).");
                    await WaitUntilSettledAsync(ct);
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                // A slow first answer; try again.
            }
            await Task.Delay(200, ct);
        }
        throw new BenchFailure($"The API was not ready after 90 s. Its log ({LogPath}) ends with:\n{Tail(30)}");
    }

    /// <summary>Ready is not yet quiet: a database the bench reset by SQL (stock) leaves the search indexer catching up,
    /// and that work would be measured with the first runs. Waits until /health/ready's search check is Healthy (not
    /// "the search index is N s behind"), up to 10 minutes. Other checks are left alone: an older build measured through
    /// HEADLESS_BENCH_API_DLL may call a newer vault schema Degraded for good.</summary>
    private async Task WaitUntilSettledAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        string? last = null;
        while (clock.Elapsed < TimeSpan.FromMinutes(10))
        {
            using var response = await Http.GetAsync("/health/ready", ct);
            using var report = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            var search = report.RootElement.GetProperty("checks").TryGetProperty("search", out var check) ? check : default;
            if (search.ValueKind != System.Text.Json.JsonValueKind.Object || search.GetProperty("status").GetString() == "Healthy")
            {
                if (last is not null)
                {
                    Log.Info($"Background catch-up done in {clock.Elapsed.TotalSeconds:F0} s; the runs start on a quiet API.");
                }
                return;
            }
            var degraded = search.GetProperty("description").GetString();
            if (last is null || clock.Elapsed.TotalSeconds >= 10 && (int)clock.Elapsed.TotalSeconds % 15 == 0)
            {
                Log.Info($"Waiting for the API to settle ({degraded}) ...");
            }
            last = degraded;
            await Task.Delay(1000, ct);
        }
        Log.Info($"The API did not settle in 10 minutes ({last}); measuring anyway, and the runs include that background work.");
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_logGate)
        {
            if (_closed)
            {
                return;
            }
            // The first start on a fresh database prints a new admin API key: keep it out of our log file.
            if (line.Contains("==== First run", StringComparison.Ordinal))
            {
                _redacting = true;
            }
            var redacted = _redacting || line.Contains("hk_", StringComparison.Ordinal);
            if (_redacting && line.StartsWith("=====", StringComparison.Ordinal))
            {
                _redacting = false;
            }
            _log.WriteLine(redacted ? "[line with the bench database's admin key left out]" : line);
            var error = line.Contains("\"LogLevel\":\"Error\"", StringComparison.Ordinal) || line.Contains("\"LogLevel\":\"Critical\"", StringComparison.Ordinal);
            var warning = line.Contains("\"LogLevel\":\"Warning\"", StringComparison.Ordinal);
            if (error || warning)
            {
                var (w, e) = _ready ? Serving : AtStart;
                (w, e) = error ? (w, e + 1) : (w + 1, e);
                if (_ready)
                {
                    Serving = (w, e);
                }
                else
                {
                    AtStart = (w, e);
                }
                Remember((_ready ? "[serving] " : "[at start] ") + line);
            }
        }
    }

    private void Remember(string line)
    {
        if (FirstProblems.Count < 8)
        {
            FirstProblems.Add(line.Length > 400 ? line[..400] + "…" : line);
        }
    }

    public ((int Warnings, int Errors) AtStart, (int Warnings, int Errors) Serving) ProblemCounts()
    {
        lock (_logGate)
        {
            return (AtStart, Serving);
        }
    }

    private string Tail(int lines)
    {
        lock (_logGate)
        {
            if (!_closed)
            {
                _log.Flush();
            }
        }
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException e)
        {
            return $"(could not read the log: {e.Message})";
        }
    }

    public bool HasExited => _process.HasExited;

    public string ExitDescription() => $"The API (pid {_process.Id}) exited with code {_process.ExitCode} during the benchmark. Its log ({LogPath}) ends with:\n{Tail(30)}";

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            // Graceful first, so Npgsql closes its connections; then nothing of it may survive.
            await Shell.RunAsync("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], CancellationToken.None);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                Log.Warn($"The API (pid {_process.Id}) did not stop within 10 s of SIGTERM; killing its process tree.");
            }
        }
        Children.KillTree(_process);
        Children.Forget(_process);
        lock (_logGate)
        {
            _closed = true;
            _log.Flush();
            _log.Dispose();
        }
        _process.Dispose();
    }
}
