namespace Headless.Bench;

/// <summary>The load shape. The defaults are the published benchmark; <c>--quick</c> is for trying it out.</summary>
/// <param name="WarmupChunkSeconds">Warm-up runs this long are repeated until throughput settles (the last
/// <see cref="SettledChunks"/> within <see cref="SettledWithin"/> of each other) or <paramref name="MaxWarmupSeconds"/> is reached: the API
/// is JIT-compiled (tier 0, then instrumented, then optimised) while it serves, and on 2 busy cores that
/// takes tens of seconds, so a fixed 5 s warm-up would measure the JIT, not the API.</param>
internal sealed record BenchOptions(
    bool Quick, int Connections, int Threads, int WarmupChunkSeconds, int MaxWarmupSeconds, int MeasureSeconds, int Runs, int TimeoutSeconds)
{
    /// <summary>Which benchmarks run: both by default, or one with <c>--only catalog</c> / <c>--only search</c>.</summary>
    public string Only { get; init; } = "all";

    public bool RunsCatalog => Only is "all" or "catalog";

    public bool RunsSearch => Only is "all" or "search";

    public static int PortFromEnvironment(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
        && port is > 0 and < 65536 ? port : fallback;

    public const double SettledWithin = 0.08;
    public const int SettledChunks = 3;

    /// <summary>Measured runs wait for other work on the machine to drop below this many cores.</summary>
    public const double QuietBelowCores = 0.25;

    public const int ProductCount = 100_000;
    public const int ProductSampleSize = 5_000;
    public const int CategorySampleSize = 20;
    /// <summary>5090, or HEADLESS_BENCH_API_PORT.</summary>
    public static int ApiPort { get; } = PortFromEnvironment("HEADLESS_BENCH_API_PORT", 5090);
    public const double AimP99Ms = 10.0;

    public const string Usage = """
        Headless catalog read benchmark (run it with ./build.sh bench).
          --quick          short warm-up, one 5 s run per scenario; prints the figures but leaves docs/benchmarks.md alone
          --only catalog   only the catalog reads (product GET, listing)
          --only search    only product search (single-word, two-word, typo, faceted)
          --help           this text
        Environment: HEADLESS_BENCH_PG_PORT (default 54349) and HEADLESS_BENCH_API_PORT (default 5090).
        """;

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var quick = false;
        var only = "all";
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--only" when i + 1 < args.Count && args[i + 1] is "catalog" or "search":
                    only = args[++i];
                    break;
                case "--help" or "-h":
                    throw new UsageRequested();
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'.\n{Usage}");
            }
        }
        return quick
            ? new BenchOptions(true, Connections: 32, Threads: 2, WarmupChunkSeconds: 3, MaxWarmupSeconds: 12, MeasureSeconds: 5, Runs: 1, TimeoutSeconds: 30) { Only = only }
            : new BenchOptions(false, Connections: 32, Threads: 2, WarmupChunkSeconds: 5, MaxWarmupSeconds: 60, MeasureSeconds: 20, Runs: 3, TimeoutSeconds: 30) { Only = only };
    }

    internal sealed class UsageRequested : Exception;
}
