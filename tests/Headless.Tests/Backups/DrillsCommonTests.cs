using System.Diagnostics;
using System.Globalization;
using Headless.Drills;

namespace Headless.Tests.Backups;

/// <summary>The library the drills share (tools/Headless.Drills.Common): their command line and the SIGKILL of a process tree.</summary>
public sealed class DrillsCommonTests
{
    [Fact]
    public void Arguments_read_the_command_options_and_flags_and_refuse_a_number_out_of_range()
    {
        var a = new DrillArguments(["drill", "--Minutes=7", "--no-docs", "--dir=/tmp/x=y"]);

        Assert.Equal("drill", a.Command);
        Assert.Equal(7, a.Int("minutes", 5, 1, 120));
        Assert.Equal(3, a.Int("instances", 3, 1, 8));
        Assert.True(a.Has("no-docs"));
        Assert.Equal("true", a.Text("no-docs"));
        Assert.Equal("/tmp/x=y", a.Text("dir"));
        Assert.Equal("full", a.Text("type", "full"));
        Assert.Null(new DrillArguments(["--seconds=3"]).Command);

        var tooMany = Assert.Throws<DrillError>(() => new DrillArguments(["drill", "--instances=9"]).Int("instances", 3, 1, 8));
        Assert.Equal("--instances=9: a whole number from 1 to 8, please.", tooMany.Message);
        var negative = Assert.Throws<DrillError>(() => new DrillArguments(["dr-drill", "--orders=-1"]).Int("orders", 1000));
        Assert.Equal("--orders=-1: a whole number of at least 1, please.", negative.Message);
    }

    [Fact]
    public async Task Kill_ends_a_process_and_its_children_at_once()
    {
        using var parent = Process.Start(new ProcessStartInfo("bash", ["-c", "sleep 300 & sleep 300 & wait"]) { UseShellExecute = false })!;
        List<int> children = [];
        await Tests.Email.Eventually.WaitUntilAsync(() => (children = ChildrenOf(parent.Id)).Count == 2, TimeSpan.FromSeconds(10), "both children run");

        ProcessTree.Kill(parent.Id);

        await parent.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(137, parent.ExitCode);
        Assert.All(children, pid => Assert.True(GoneOrZombie(pid), $"child {pid} still runs"));
    }

    private static List<int> ChildrenOf(int parent) => [.. Directory.GetDirectories("/proc")
        .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
        .Where(pid => pid > 0 && Stat(pid) is { } fields && fields[1] == parent.ToString(CultureInfo.InvariantCulture))];

    private static bool GoneOrZombie(int pid) => Stat(pid) is not { } fields || fields[0] == "Z";

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
