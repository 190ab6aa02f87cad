using System.Diagnostics;
using Headless.Api.Platform.Hosting;

namespace Headless.Tests.Deployment;

/// <summary>A finished child process: its exit code and everything it printed.</summary>
public sealed record ProcessRun(int ExitCode, string Output, string Errors)
{
    /// <summary>Runs a command from the repository root to its end (or kills it at the timeout).</summary>
    public static async Task<ProcessRun> RunAsync(string fileName, IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', args)} ran longer than {timeout}: {await errors}");
        }
        return new ProcessRun(process.ExitCode, await output, await errors);
    }
}
