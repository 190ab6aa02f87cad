namespace Headless.Bench;

/// <summary>The load shape. The defaults are the published benchmark; <c>--quick</c> is for trying it out.</summary>
/// <param name="WarmupChunkSeconds">Warm-up runs this long are repeated until throughput settles (the last
/// <see cref="SettledChunks"/> within <see cref="SettledWithin"/> of each other) or <paramref name="MaxWarmupSeconds"/> is reached: the API
/// is JIT-compiled (tier 0, then instrumented, then optimised) while it serves, and on 2 busy cores that
/// takes tens of seconds, so a fixed 5 s warm-up would measure the JIT, not the API.</param>
internal sealed record BenchOptions(
    bool Quick, int Connections, int Threads, int WarmupChunkSeconds, int MaxWarmupSeconds, int MeasureSeconds, int Runs, int TimeoutSeconds)
{
    public const double SettledWithin = 0.08;
    public const int SettledChunks = 3;

    /// <summary>Measured runs wait for other work on the machine to drop below this many cores.</summary>
    public const double QuietBelowCores = 0.25;

    public const int ProductCount = 100_000;
    public const int ProductSampleSize = 5_000;
    public const int CategorySampleSize = 20;
    public const int ApiPort = 5090;
    public const double AimP99Ms = 10.0;

    public const string Usage = """
        Headless catalog read benchmark (run it with ./build.sh bench).
          --quick   short warm-up, one 5 s run per scenario; prints the figures but leaves docs/benchmarks.md alone
          --help    this text
        """;

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var quick = false;
        foreach (var arg in args)
        {
            switch (arg)
            {
                case "--quick":
                    quick = true;
                    break;
                case "--help" or "-h":
                    throw new UsageRequested();
                default:
                    throw new ArgumentException($"Unknown argument '{arg}'.\n{Usage}");
            }
        }
        return quick
            ? new BenchOptions(true, Connections: 32, Threads: 2, WarmupChunkSeconds: 3, MaxWarmupSeconds: 12, MeasureSeconds: 5, Runs: 1, TimeoutSeconds: 30)
            : new BenchOptions(false, Connections: 32, Threads: 2, WarmupChunkSeconds: 5, MaxWarmupSeconds: 60, MeasureSeconds: 20, Runs: 3, TimeoutSeconds: 30);
    }

    internal sealed class UsageRequested : Exception;
}
