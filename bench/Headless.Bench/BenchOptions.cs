namespace Headless.Bench;

/// <summary>The load shape. The defaults are the published benchmark; <c>--quick</c> is for trying it out.</summary>
/// <param name="WarmupChunkSeconds">Warm-up runs this long are repeated until throughput settles (the last
/// <see cref="SettledChunks"/> within <see cref="SettledWithin"/> of each other) or <paramref name="MaxWarmupSeconds"/> is reached: the API
/// is JIT-compiled (tier 0, then instrumented, then optimised) while it serves, and on 2 busy cores that
/// takes tens of seconds, so a fixed 5 s warm-up would measure the JIT, not the API.</param>
internal sealed record BenchOptions(
    bool Quick, int Connections, int Threads, int WarmupChunkSeconds, int MaxWarmupSeconds, int MeasureSeconds, int Runs, int TimeoutSeconds)
{
    /// <summary>Which sections to run: null for all, or "catalog" / "checkout" / "search" / "storefront" / "admin" (<c>--only</c>).</summary>
    public string? Only { get; init; }

    public bool RunsCatalog => Only is null or "catalog";

    /// <summary><c>--cache-on-only</c>: the catalog section measures only the shipped configuration (read cache on),
    /// for quick before/after comparisons; the figures go to a file in .data/bench-logs, not docs/benchmarks.md.</summary>
    public bool CacheOnOnly { get; init; }

    /// <summary>The Release API under test; HEADLESS_BENCH_API_DLL points at another build (an older commit's, to
    /// measure a change before and after on the same machine, data and request paths).</summary>
    public static string? ApiDllOverride { get; } = Environment.GetEnvironmentVariable("HEADLESS_BENCH_API_DLL") is { Length: > 0 } other
        ? Path.GetFullPath(other)
        : null;

    /// <summary><c>--cache-off-only</c>: the catalog section measures only with the read cache off (every request a
    /// query), for experiments on the uncached path; the figures go to a file in .data/bench-logs.</summary>
    public bool CacheOffOnly { get; init; }

    /// <summary>HEADLESS_BENCH_API_MAX_POOL caps the API's PostgreSQL connection pool (Npgsql's <c>Maximum Pool Size</c>,
    /// default 100) for an experiment: fewer backends than requests in flight, the rest queue in the API.</summary>
    public static int? ApiMaxPool { get; } = int.TryParse(Environment.GetEnvironmentVariable("HEADLESS_BENCH_API_MAX_POOL"), out var pool) && pool is >= 1 and <= 1000
        ? pool
        : null;

    /// <summary>Whether this run's figures belong in docs/benchmarks.md: not for trial runs, partial runs, another
    /// build or a changed pool.</summary>
    public bool WritesDocs => !Quick && !CacheOnOnly && !CacheOffOnly && ApiDllOverride is null && ApiMaxPool is null;

    public bool RunsCheckout => Only is null or "checkout";

    public bool RunsSearch => Only is null or "search";

    public bool RunsStorefront => Only is null or "storefront";

    public bool RunsAdmin => Only is null or "admin";

    public bool RunsReadsUnderWrites => Only is null or "reads-under-writes";
    public bool RunsImages => Only is null or "images";
    public bool RunsImport => Only is null or "import";
    public bool RunsWebhooks => Only is null or "webhooks";

    /// <summary>Products in the generated import file (<c>--import-products=N</c>; default 20,000 × 5 variants =
    /// 100,000 rows, 1,000 with --quick).</summary>
    public int ImportProducts { get; init; } = ImportBench.DefaultProducts;

    /// <summary>The port of the benchmark's own PostgreSQL cluster: HEADLESS_BENCH_PG_PORT, default 54349.</summary>
    public static int PgPort { get; } = PortFromEnvironment("HEADLESS_BENCH_PG_PORT", 54349);

    public const double SettledWithin = 0.08;
    public const int SettledChunks = 3;

    /// <summary>Measured runs wait for other work on the machine to drop below this many cores.</summary>
    public const double QuietBelowCores = 0.25;

    public const int ProductCount = 100_000;
    public const int ProductSampleSize = 5_000;
    public const int CategorySampleSize = 20;
    /// <summary>The port the API under test listens on: HEADLESS_BENCH_API_PORT, default 5090. Never one of the
    /// ports the dev run, the tests or the other worktrees use (5080, 5180, 5280).</summary>
    public static int ApiPort { get; } = PortFromEnvironment("HEADLESS_BENCH_API_PORT", 5090);

    private static readonly int[] ReservedApiPorts = [5080, 5180, 5280];

    private static int PortFromEnvironment(string variable, int fallback)
    {
        var text = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1024 or > 65535)
        {
            throw new ArgumentException($"{variable}={text}: use a port number from 1024 to 65535.");
        }
        if (variable == "HEADLESS_BENCH_API_PORT" && ReservedApiPorts.Contains(port))
        {
            throw new ArgumentException($"{variable}={port}: ports {string.Join(", ", ReservedApiPorts)} belong to the dev run and the tests; pick another.");
        }
        return port;
    }
    public const double AimP99Ms = 10.0;
    public const double AimUncachedListingRps = 2000;
    public const double AimUncachedListingP99Ms = 50.0;

    public const string Usage = """
        Headless benchmarks (run them with ./build.sh bench): catalog reads (wrk), checkout (a C# load generator), search
        and the storefront generator (full build, edit → published).
          --quick           short warm-up, one short run per scenario; prints the figures but leaves docs/benchmarks.md alone
          --only=catalog    only the catalog read section (also: --only catalog)
          --only=checkout   only the cart and checkout section
          --only=search     only product search (single-word, two-word, typo, faceted)
          --only=storefront only the storefront generator: a full build of the catalog (pages/s) and admin edit → published page
          --only=admin      only the admin product list (each sort both ways, search, filters; p50/p95/p99 at 8 in flight)
          --only=reads-under-writes  the listing and product mix while checkouts run at 100/s and 300/s (p50/p99, cache hit ratio)
          --only=images     only the image pipeline: every size of a 12 MP JPEG per format and in all (no database)
          --only=import     only the Shopify CSV import (POST → job done, rows/s; the same file again; the export), on its own
          --only=webhooks   only webhook fan-out: 1,000 events/s to 10 local receivers (deliveries/s, commit→delivery lag p50/p95/p99)
          --only=vault      only the personal-data vault's cost: the vault calls of sign-in, checkout and order detail, one at a time (p50/p95/p99)
                            fresh database; --import-products=N sets the file's size (N products × 5 variants, default 20,000)
          --cache-on-only   catalog reads with the read cache on only (the shipped configuration); figures go to .data/bench-logs
          --cache-off-only  catalog reads with the read cache off only (experiments on the uncached path; HEADLESS_BENCH_API_MAX_POOL=N caps the API's pool)
          --help            this text
        Environment: HEADLESS_BENCH_PG_PORT (the bench cluster's port, default 54349; another port gets its own
        cluster folder .data/bench-pg-<port>), HEADLESS_BENCH_API_PORT (default 5090), HEADLESS_BENCH_API_DLL (another build of the API to measure, e.g.
        an older commit's api/bin/Release/net10.0/Headless.Api.dll; its figures are not written to the docs), HEADLESS_BENCH_STOREFRONT_DLL
        (another build of the storefront CLI to measure, e.g. an older commit's; default this checkout's Release build).
        """;

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var quick = false;
        var cacheOnOnly = false;
        var cacheOffOnly = false;
        string? only = null;
        int? importProducts = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--quick":
                    quick = true;
                    break;
                case "--only" when i + 1 < args.Count:
                    only = args[++i];
                    break;
                case var o when o.StartsWith("--only=", StringComparison.Ordinal):
                    only = o["--only=".Length..];
                    break;
                case var o when o.StartsWith("--import-products=", StringComparison.Ordinal):
                    importProducts = int.TryParse(o["--import-products=".Length..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 100_000
                        ? n
                        : throw new ArgumentException($"{o}: use a number of products from 1 to 100000.");
                    break;
                case "--cache-on-only":
                    cacheOnOnly = true;
                    break;
                case "--cache-off-only":
                    cacheOffOnly = true;
                    break;
                case "--help" or "-h":
                    throw new UsageRequested();
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'.\n{Usage}");
            }
        }
        only = string.IsNullOrWhiteSpace(only) ? null : only.Trim().ToLowerInvariant();
        if (only is not (null or "catalog" or "checkout" or "search" or "storefront" or "admin" or "reads-under-writes" or "images" or "import" or "webhooks" or "vault"))
        {
            throw new ArgumentException($"--only={only}: use catalog, checkout, search, storefront, admin, reads-under-writes, images, import, webhooks or vault.\n{Usage}");
        }
        var importSize = importProducts ?? (quick ? 1_000 : ImportBench.DefaultProducts);
        return quick
            ? new BenchOptions(true, Connections: 32, Threads: 2, WarmupChunkSeconds: 3, MaxWarmupSeconds: 12, MeasureSeconds: 5, Runs: 1, TimeoutSeconds: 30) { Only = only, CacheOnOnly = cacheOnOnly, CacheOffOnly = cacheOffOnly, ImportProducts = importSize }
            : new BenchOptions(false, Connections: 32, Threads: 2, WarmupChunkSeconds: 5, MaxWarmupSeconds: 60, MeasureSeconds: 20, Runs: 3, TimeoutSeconds: 30) { Only = only, CacheOnOnly = cacheOnOnly, CacheOffOnly = cacheOffOnly, ImportProducts = importSize };
    }

    internal sealed class UsageRequested : Exception;
}
