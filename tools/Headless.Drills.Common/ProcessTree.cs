using System.Diagnostics;
using System.Globalization;

namespace Headless.Drills;

/// <summary>SIGKILL to a process and its children at once, as when its machine dies (for PostgreSQL: no shutdown
/// checkpoint, nothing more flushed to the archive). Read from /proc, so Linux only.</summary>
public static class ProcessTree
{
    /// <summary>The postmaster's pid, from the first line of `postmaster.pid` in its data directory.</summary>
    public static int PostmasterPid(string dataDirectory) =>
        int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);

    /// <summary>Kills <paramref name="root"/> and its direct children, then waits (at most 30 s) until they are gone or
    /// zombies, so what comes next (a restore, a promotion) does not meet a half-dead server.</summary>
    public static void Kill(int root)
    {
        var pids = Directory.GetDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && ParentOf(pid) == root)
            .Prepend(root)
            .Where(pid => Directory.Exists($"/proc/{pid}"))
            .ToList();
        foreach (var pid in pids)
        {
            // A child may be gone already (the postmaster's death ends some): kill's complaint is not news.
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-9", pid.ToString(CultureInfo.InvariantCulture)]) { RedirectStandardError = true })!;
            kill.WaitForExit();
        }
        var clock = Stopwatch.StartNew();
        while (pids.Any(pid => Directory.Exists($"/proc/{pid}") && !IsZombie(pid)) && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(20);
        }
    }

    private static int ParentOf(int pid) => Stat(pid) is { } fields ? int.Parse(fields[1], CultureInfo.InvariantCulture) : 0;

    private static bool IsZombie(int pid) => Stat(pid) is not { } fields || fields[0] == "Z";

    private static string[]? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
    }
}
