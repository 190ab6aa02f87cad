using System.Diagnostics;

namespace Headless.Bench;

/// <summary>Every process we start (the API, wrk), so that whatever way we leave - normal end, failure,
/// Ctrl+C, SIGTERM - none of them outlives us.</summary>
internal static class Children
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<Process> Running = [];

    static Children() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    public static void Track(Process process)
    {
        lock (Gate)
        {
            Running.Add(process);
        }
    }

    public static void Forget(Process process)
    {
        lock (Gate)
        {
            Running.Remove(process);
        }
    }

    public static void KillAll()
    {
        Process[] all;
        lock (Gate)
        {
            all = [.. Running];
            Running.Clear();
        }
        foreach (var process in all)
        {
            KillTree(process);
        }
    }

    public static void KillTree(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5_000);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Log.Warn($"Could not kill process {SafeId(process)}: {e.Message}");
        }
    }

    private static string SafeId(Process process)
    {
        try
        {
            return process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }
}

/// <summary>Runs a short command to completion and returns its exit code and output.</summary>
internal static class Shell
{
    public static async Task<(int Exit, string Output)> RunAsync(
        string file, IEnumerable<string> args, CancellationToken ct, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }
        using var process = Process.Start(psi) ?? throw new BenchFailure($"Could not start {file}.");
        Children.Track(process);
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            return (process.ExitCode, (await stdout) + (await stderr));
        }
        finally
        {
            Children.KillTree(process);
            Children.Forget(process);
        }
    }

    public static string? FindOnPath(string tool)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
