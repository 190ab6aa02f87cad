using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Headless.Api.Platform.Hosting;

namespace Headless.Tests.Platform;

/// <summary>
/// The built API as an operator runs it: `dotnet api/bin/&lt;configuration&gt;/net10.0/Headless.Api.dll`, in its own
/// process, with only the environment a test gives it (no Headless__*, ASPNETCORE_* or DOTNET_* settings of
/// ours leak in). For start-up refusals and the operator commands, whose exit codes and console output are
/// the contract.
/// </summary>
public sealed class ApiBinary : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private ApiBinary(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Stdout { get { lock (_stdout) { return _stdout.ToString(); } } }
    public string Stderr { get { lock (_stderr) { return _stderr.ToString(); } } }
    public string Output => Stdout + Stderr;

    /// <summary>The output folder of the configuration these tests were built in (the test project references the API).</summary>
    public static string Directory { get; } = Path.Combine(RepoPaths.Root, "api", "bin",
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release", "net10.0");

    public static ApiBinary Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(Directory, "Headless.Api.dll"));
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        foreach (var inherited in psi.Environment.Keys.Where(k =>
            k.StartsWith("Headless__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
            || k.StartsWith("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase) || k.Equals("Urls", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            psi.Environment.Remove(inherited);
        }
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment)
        {
            psi.Environment[key] = value;
        }
        return new ApiBinary(Process.Start(psi)!);
    }

    /// <summary>Runs a command (or a start-up that should refuse) to its end.</summary>
    public static async Task<(int Exit, ApiBinary Run)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var run = Start(environment, args);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await run._process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"`Headless.Api.dll {string.Join(' ', args)}` was still running after 2 minutes:\n{run.Output}");
        }
        finally
        {
            await run.DisposeAsync();
        }
        return (run._exitCode, run);
    }

    /// <summary>Polls /health/ready until the server answers 200; fails with its output if it exits first.</summary>
    public async Task WaitUntilReadyAsync(Uri baseAddress)
    {
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(2))
        {
            if (_process.HasExited)
            {
                _process.WaitForExit();
                Assert.Fail($"The API exited with {_process.ExitCode} before it was ready:\n{Output}");
            }
            try
            {
                if ((await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // not answering yet
            }
            await Task.Delay(100);
        }
        Assert.Fail($"The API was not ready within 2 minutes:\n{Output}");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private int _exitCode = -1;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
        _process.WaitForExit(); // drains the redirected output
        _exitCode = _process.ExitCode;
        _process.Dispose();
    }

    private static void Append(StringBuilder to, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (to)
        {
            to.AppendLine(line);
        }
    }
}
