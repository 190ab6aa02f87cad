using System.Globalization;
using Headless.Api.Platform.Hosting;

namespace Headless.Drill;

// ./build.sh drill [--minutes=5 --rate=R --instances=3] | failover-drill [--seconds=30 --shoppers=4 --instances=2]
// Both on the cluster topology in .data/drill/<name>, ports 28600+ (--base-port moves them).
public static class DrillProgram
{
    public static Task<int> Main(string[] args) => DrillConsole.RunAsync(async ct =>
    {
        var a = new DrillArguments(args);
        var basePort = a.Int("base-port", 28600, 1025, 64900);
        switch (a.Command)
        {
            case "failover-drill":
                return await new FailoverDrill(new FailoverDrillOptions(
                    a.Int("seconds", 30, 5, 3600), a.Int("shoppers", 4, 1, 64), a.Int("instances", 2, 1, 8), basePort,
                    Path.Combine(RepoPaths.Data, "drill", "failover")), Console.Out).RunAsync(ct);
            case "drill":
                double? rate = a.Text("rate") is { } r
                    ? double.TryParse(r, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v is >= 1 and <= 100_000 ? v : throw new DrillError($"--rate={r}: requests per second, from 1 to 100000.")
                    : null;
                return await new BlackFridayDrill(new BlackFridayOptions(
                    a.Int("minutes", 5, 1, 120), rate, a.Int("instances", 3, 1, 8), basePort,
                    Path.Combine(RepoPaths.Data, "drill", "black-friday"), !a.Has("no-docs")), Console.Out).RunAsync(ct);
            default:
                Console.Error.WriteLine("Usage: Headless.Drill drill [--minutes=5 --rate=R --instances=3 --no-docs] | failover-drill [--seconds=30 --shoppers=4 --instances=2] [--base-port=28600]");
                return 2;
        }
    });
}
