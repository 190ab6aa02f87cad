using System.Globalization;
using Headless.Api.Platform.Hosting;

namespace Headless.Cluster;

/// <summary>`./build.sh cluster [--instances=N]`: the scale-out topology on this machine until Ctrl+C (ClusterTopology).
/// Not top-level statements: the tests reference this project and the API, and both would define `Program`.</summary>
public static class ClusterCommand
{
    public static async Task<int> Main(string[] args)
    {
        var instances = 3;
        var basePort = 56400;
        var configuration = "Release";
        foreach (var arg in args)
        {
            if (arg.StartsWith("--instances=", StringComparison.Ordinal) && int.TryParse(arg["--instances=".Length..], CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 20)
            {
                instances = n;
            }
            else if (arg.StartsWith("--base-port=", StringComparison.Ordinal) && int.TryParse(arg["--base-port=".Length..], CultureInfo.InvariantCulture, out var p) && p is > 1024 and < 65000)
            {
                basePort = p;
            }
            else if (arg.StartsWith("--configuration=", StringComparison.Ordinal))
            {
                configuration = arg["--configuration=".Length..];
            }
            else
            {
                Console.Error.WriteLine($"Unknown or bad option '{arg}'. Usage: Headless.Cluster [--instances=1..20] [--base-port=PORT] [--configuration=Release]");
                return 2;
            }
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };

        var options = new ClusterOptions(
            Directory: Path.Combine(RepoPaths.Data, "cluster"),
            BasePort: basePort,
            WebInstances: instances,
            ApiDll: Path.Combine(RepoPaths.Root, "api", "bin", configuration, "net10.0", "Headless.Api.dll"),
            HaproxyTemplate: Path.Combine(RepoPaths.Root, "ops", "haproxy", "haproxy.cfg"))
        {
            Log = Console.Error,
        };
        ClusterTopology cluster;
        try
        {
            cluster = await ClusterTopology.StartAsync(options, stop.Token);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or OperationCanceledException)
        {
            Console.Error.WriteLine($"The cluster did not start: {e.Message}");
            return 1;
        }
        await using (cluster)
        {
            Console.Error.WriteLine($"""

                Headless cluster is running ({instances} web, 1 worker, Development embedded defaults; never expose it).
                {cluster.Describe()}
                Press Ctrl+C to stop everything.

                """);
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
            Console.Error.WriteLine("Stopping the cluster ...");
        }
        return 0;
    }
}
