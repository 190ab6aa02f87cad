using System.Globalization;
using Headless.Api.Platform.Hosting;

namespace Headless.Drill;

// ./build.sh drill [--minutes=5 --rate=R --instances=3] | failover-drill [--seconds=30 --shoppers=4 --instances=2]
// Both on the cluster topology in .data/drill/<name>, ports 28600+ (--base-port moves them).
public static class DrillProgram
{
    public static async Task<int> Main(string[] args)
    {
        var command = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal));
        var options = args.Where(a => a.StartsWith("--", StringComparison.Ordinal))
            .Select(a => a[2..].Split('=', 2))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "true", StringComparer.OrdinalIgnoreCase);
        int Int(string key, int fallback, int min, int max)
        {
            if (!options.TryGetValue(key, out var value))
            {
                return fallback;
            }
            return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
                ? n
                : throw new DrillError($"--{key}={value}: a whole number from {min} to {max}, please.");
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        try
        {
            var basePort = Int("base-port", 28600, 1025, 64900);
            switch (command)
            {
                case "failover-drill":
                    return await new FailoverDrill(new FailoverDrillOptions(
                        Int("seconds", 30, 5, 3600), Int("shoppers", 4, 1, 64), Int("instances", 2, 1, 8), basePort,
                        Path.Combine(RepoPaths.Data, "drill", "failover")), Console.Out).RunAsync(cancel.Token);
                case "drill":
                    double? rate = options.TryGetValue("rate", out var r)
                        ? double.TryParse(r, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v is >= 1 and <= 100_000 ? v : throw new DrillError($"--rate={r}: requests per second, from 1 to 100000.")
                        : null;
                    return await new BlackFridayDrill(new BlackFridayOptions(
                        Int("minutes", 5, 1, 120), rate, Int("instances", 3, 1, 8), basePort,
                        Path.Combine(RepoPaths.Data, "drill", "black-friday"), !options.ContainsKey("no-docs")), Console.Out).RunAsync(cancel.Token);
                default:
                    Console.Error.WriteLine("Usage: Headless.Drill drill [--minutes=5 --rate=R --instances=3 --no-docs] | failover-drill [--seconds=30 --shoppers=4 --instances=2] [--base-port=28600]");
                    return 2;
            }
        }
        catch (DrillError e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("Cancelled.");
            return 130;
        }
    }
}
