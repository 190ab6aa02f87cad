using System.Diagnostics;
using Dapper;
using Headless.Api.Features.Demo;
using Headless.Api.Platform.Database;
using Headless.Api.Platform.Hosting;
using Npgsql;

namespace Headless.Bench;

internal sealed record Dataset(
    long Products, long ActiveProducts, long Variants, long Categories, long DatabaseBytes, bool Reused, TimeSpan LoadTime);

/// <summary>
/// The benchmark's own database, <c>headless_bench</c>: on a private cluster in <c>.data/bench-pg</c>
/// (port 54349, or HEADLESS_BENCH_PG_PORT, so a dev run or the tests are never disturbed), or on the server named by
/// <c>Headless__Database__ConnectionString</c> when that is set.
/// </summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    public const string DatabaseName = "headless_bench";
    public static int LocalPort => BenchOptions.PgPort;
    private const string ConnectionStringVariable = "Headless__Database__ConnectionString";

    private readonly LocalPostgres? _local;
    private readonly string _adminConnectionString;

    private readonly string _ownerConnectionString;

    private BenchDatabase(LocalPostgres? local, string adminConnectionString, DatabaseLogins logins, string description)
    {
        _local = local;
        _adminConnectionString = adminConnectionString;
        ConnectionString = logins.App;
        _ownerConnectionString = logins.Owner;
        Description = description;
        DataSource = CreateOwnerSource(_ownerConnectionString);
    }

    // The catalog's COPY ends in one statement that can take minutes on a shared machine (Npgsql's 30 s default
    // timed out there); the bench's own statements set their timeouts where they need shorter ones.
    private static NpgsqlDataSource CreateOwnerSource(string connectionString) =>
        NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { CommandTimeout = 600 }.ConnectionString);

    /// <summary>What the API is given as Headless__Database__ConnectionString: the least-privileged login, as in
    /// production. The bench migrates and loads as the owner (<see cref="DataSource"/>) before the API starts.</summary>
    public string ConnectionString { get; }

    /// <summary>Where the database is, for the report (never the password).</summary>
    public string Description { get; }

    public NpgsqlDataSource DataSource { get; private set; }

    public static async Task<BenchDatabase> OpenAsync(CancellationToken ct)
    {
        var configured = Environment.GetEnvironmentVariable(ConnectionStringVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var admin = new NpgsqlConnectionStringBuilder(configured);
            Log.Step($"Using the PostgreSQL server from {ConnectionStringVariable} ({admin.Host}:{admin.Port}), database {DatabaseName}.");
            return new BenchDatabase(null, admin.ConnectionString, await LoginsAsync(admin.ConnectionString, Path.Combine(RepoPaths.Data, "bench-logins"), ct),
                $"the server from {ConnectionStringVariable} ({admin.Host}:{admin.Port}), database `{DatabaseName}`");
        }
        // Another port is another cluster (someone else may be running the default one).
        var folder = LocalPort == 54349 ? "bench-pg" : $"bench-pg-{LocalPort}";
        var directory = Path.Combine(RepoPaths.Data, folder);
        Log.Step($"Starting the benchmark's own PostgreSQL cluster ({directory}, port {LocalPort}) ...");
        var clock = Stopwatch.StartNew();
        var local = await LocalPostgres.StartAsync(directory, LocalPort, null, new PrefixWriter("  "), ct);
        if (!await TracksStatementsAsync(local.ConnectionString("postgres"), ct))
        {
            // pg_stat_statements is loaded only at a start: set it once in postgresql.auto.conf and start again.
            await using (var admin = new NpgsqlConnection(local.ConnectionString("postgres")))
            {
                await admin.OpenAsync(ct);
                await admin.ExecuteAsync(new CommandDefinition("alter system set shared_preload_libraries = 'pg_stat_statements'", cancellationToken: ct));
            }
            await local.StopAsync();
            NpgsqlConnection.ClearAllPools();
            local = await LocalPostgres.StartAsync(directory, LocalPort, null, new PrefixWriter("  "), ct);
        }
        await using (var admin = new NpgsqlConnection(local.ConnectionString("postgres")))
        {
            await admin.OpenAsync(ct);
            await admin.ExecuteAsync(new CommandDefinition("create extension if not exists pg_stat_statements", cancellationToken: ct));
        }
        var pidFile = Path.Combine(directory, "data", "postmaster.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var postmaster))
        {
            CpuSampler.PostmasterPid = postmaster;
        }
        Log.Info($"PostgreSQL is up ({clock.ElapsedMilliseconds} ms).");
        return new BenchDatabase(local, local.ConnectionString("postgres"), await LoginsAsync(local.ConnectionString("postgres"), directory, ct),
            $"a private cluster on the same machine (`.data/{folder}`, 127.0.0.1:{LocalPort}), database `{DatabaseName}`");
    }

    /// <summary>Whether the cluster loads pg_stat_statements (calls, plans and time per statement, read from the
    /// postgres database's view): how the cart read's slow plan was found (docs/benchmarks.md, session 16).</summary>
    private static async Task<bool> TracksStatementsAsync(string superuser, CancellationToken ct)
    {
        await using var admin = new NpgsqlConnection(superuser);
        await admin.OpenAsync(ct);
        var loaded = await admin.ExecuteScalarAsync<string>(new CommandDefinition("show shared_preload_libraries", cancellationToken: ct));
        return (loaded ?? "").Split(',', StringSplitOptions.TrimEntries).Contains("pg_stat_statements");
    }

    private static async Task<DatabaseLogins> LoginsAsync(string superuser, string secrets, CancellationToken ct)
    {
        var logins = await LocalLogins.EnsureAsync(superuser, secrets, null, ct);
        await EnsureVaultDatabasesAsync(superuser, logins, ct);
        return new DatabaseLogins(
            new NpgsqlConnectionStringBuilder(logins.Owner) { Database = DatabaseName }.ConnectionString,
            new NpgsqlConnectionStringBuilder(logins.App) { Database = DatabaseName }.ConnectionString);
    }

    /// <summary>Each region's personal-data vault as a database of this server (kept between runs like the catalog;
    /// the API migrates it at start-up), handed to <see cref="ProductionSettings"/>.</summary>
    private static async Task EnsureVaultDatabasesAsync(string superuser, DatabaseLogins logins, CancellationToken ct)
    {
        var vaults = new Dictionary<string, DatabaseLogins>();
        await using var admin = new NpgsqlConnection(superuser);
        await admin.OpenAsync(ct);
        foreach (var region in new[] { "eu", "us" })
        {
            var name = $"{DatabaseName}_vault_{region}";
            if (!await admin.ExecuteScalarAsync<bool>(new CommandDefinition("select exists (select 1 from pg_database where datname = @name)", new { name }, cancellationToken: ct)))
            {
                await admin.ExecuteAsync(new CommandDefinition($"create database {name} owner {LocalLogins.OwnerRole}", cancellationToken: ct));
            }
            vaults[region] = new DatabaseLogins(
                new NpgsqlConnectionStringBuilder(logins.Owner) { Database = name }.ConnectionString,
                new NpgsqlConnectionStringBuilder(logins.App) { Database = name }.ConnectionString);
        }
        ProductionSettings.UseVaults(vaults);
    }

    /// <summary>The server log of our own cluster (null on a server we do not own): the checkout
    /// profile reads the statements PostgreSQL logged there.</summary>
    public string? ServerLogPath => _local is null ? null : Path.Combine(_local.Directory, "postgres.log");

    /// <summary>Runs SQL as the superuser of our cluster (settings such as log_min_duration_statement).</summary>
    public async Task AdminExecuteAsync(string sql, CancellationToken ct)
    {
        await using var admin = new NpgsqlConnection(_adminConnectionString);
        await admin.OpenAsync(ct);
        await admin.ExecuteAsync(new CommandDefinition(sql, cancellationToken: ct));
    }

    /// <summary>Reuses <c>headless_bench</c> when it holds exactly the demo catalog of
    /// <paramref name="productCount"/> products; otherwise recreates it, migrates and loads it.</summary>
    public async Task<Dataset> EnsureCatalogAsync(int productCount, CancellationToken ct)
    {
        Log.Step($"Checking database {DatabaseName} for the {productCount:N0}-product demo catalog ...");
        var clock = Stopwatch.StartNew();
        var reason = await WhyNotReusableAsync(productCount, ct);
        if (reason is null)
        {
            Log.Info($"It is there: reusing it (delete it with `drop database {DatabaseName}` to force a reload).");
            // The API runs in Production, which refuses to start with a migration pending.
            if (await Migrator.MigrateAsync(DataSource, ct) is { Count: > 0 } pending)
            {
                Log.Info($"Applied {pending.Count} new migration(s): {string.Join(", ", pending)}.");
            }
            await AnalyzeIfNeverAnalyzedAsync(ct);
            return await DescribeAsync(reused: true, TimeSpan.Zero, ct);
        }
        Log.Info($"Not reusable: {reason}. Rebuilding it.");

        await using (var admin = new NpgsqlConnection(_adminConnectionString))
        {
            await admin.OpenAsync(ct);
            // Other connections of ours (the pool) would block the drop; `with (force)` ends them.
            NpgsqlConnection.ClearAllPools();
            await admin.ExecuteAsync(new CommandDefinition($"drop database if exists {DatabaseName} with (force)", cancellationToken: ct));
            await admin.ExecuteAsync(new CommandDefinition($"create database {DatabaseName} owner {LocalLogins.OwnerRole}", cancellationToken: ct));
        }
        await DataSource.DisposeAsync();
        DataSource = CreateOwnerSource(_ownerConnectionString);

        var applied = await Migrator.MigrateAsync(DataSource, ct);
        Log.Info($"Created {DatabaseName} and applied {applied.Count} migrations.");

        Log.Step($"Generating the demo catalog ({productCount:N0} products) ...");
        var generate = Stopwatch.StartNew();
        var catalog = DemoCatalog.Generate(productCount);
        Log.Info($"{catalog.Categories.Count} categories, {catalog.Products.Count:N0} products, {catalog.Variants.Count:N0} variants in {generate.Elapsed.TotalSeconds:F1} s.");

        Log.Step("Loading it with COPY (one transaction) ...");
        var load = await DemoCatalogLoader.LoadAsync(DataSource, catalog, new LogProgress(), ct);
        if (!load.Loaded)
        {
            throw new BenchFailure($"The demo catalog was not loaded into the fresh database {DatabaseName}: its tables were not empty.");
        }
        Log.Info($"Loaded in {load.Elapsed.TotalSeconds:F1} s.");

        Log.Step("VACUUM ANALYZE (fresh statistics and visibility map, so plans are the ones a settled shop gets) ...");
        var analyze = Stopwatch.StartNew();
        await using (var conn = await DataSource.OpenConnectionAsync(ct))
        {
            await conn.ExecuteAsync(new CommandDefinition("vacuum (analyze)", commandTimeout: 600, cancellationToken: ct));
        }
        Log.Info($"Done in {analyze.Elapsed.TotalSeconds:F1} s.");
        return await DescribeAsync(reused: false, clock.Elapsed, ct);
    }

    /// <summary>A fresh, migrated, empty database beside <c>headless_bench</c> (dropped first if a former run left
    /// it): scenarios that write a catalog (the CSV import) start from nothing each run. Returns the owner's
    /// and the API's connection strings.</summary>
    public async Task<DatabaseLogins> CreateScratchAsync(string name, CancellationToken ct)
    {
        await using (var admin = new NpgsqlConnection(_adminConnectionString))
        {
            await admin.OpenAsync(ct);
            await admin.ExecuteAsync(new CommandDefinition($"drop database if exists {name} with (force)", cancellationToken: ct));
            await admin.ExecuteAsync(new CommandDefinition($"create database {name} owner {LocalLogins.OwnerRole}", cancellationToken: ct));
        }
        var owner = new NpgsqlConnectionStringBuilder(_ownerConnectionString) { Database = name }.ConnectionString;
        await using (var source = NpgsqlDataSource.Create(owner))
        {
            await Migrator.MigrateAsync(source, ct);
        }
        return new DatabaseLogins(owner, new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString);
    }

    private async Task<string?> WhyNotReusableAsync(int productCount, CancellationToken ct)
    {
        await using (var admin = new NpgsqlConnection(_adminConnectionString))
        {
            await admin.OpenAsync(ct);
            var owner = await admin.ExecuteScalarAsync<string?>(new CommandDefinition(
                "select pg_get_userbyid(datdba) from pg_database where datname = @name", new { name = DatabaseName }, cancellationToken: ct));
            if (owner is null)
            {
                return "it does not exist yet";
            }
            if (owner != LocalLogins.OwnerRole)
            {
                return $"it belongs to {owner}, not to {LocalLogins.OwnerRole} (the API now runs as the least-privileged login)";
            }
        }
        await using var conn = await DataSource.OpenConnectionAsync(ct);
        if (!await conn.ExecuteScalarAsync<bool>(new CommandDefinition(
                "select to_regclass('products') is not null and to_regclass('audit_log') is not null and to_regclass('schema_migrations') is not null", cancellationToken: ct)))
        {
            return "it has no catalog tables";
        }
        var products = await conn.ExecuteScalarAsync<long>(new CommandDefinition("select count(*) from products", cancellationToken: ct));
        if (products != productCount)
        {
            return $"it holds {products:N0} products, not {productCount:N0}";
        }
        var loadedByDemo = await conn.ExecuteScalarAsync<bool>(new CommandDefinition("""
            select exists (select 1 from audit_log
                           where actor = 'system:demo-loader' and action = 'catalog.loaded'
                             and (after ->> 'products')::bigint = @productCount)
            """, new { productCount }, cancellationToken: ct));
        if (!loadedByDemo)
        {
            return "its products were not loaded by the demo catalog loader";
        }
        var applied = (await conn.QueryAsync<(string Version, string Checksum)>(new CommandDefinition(
            "select version, checksum from schema_migrations", cancellationToken: ct))).ToDictionary(r => r.Version, r => r.Checksum);
        if (Migrator.All.FirstOrDefault(m => applied.TryGetValue(m.Version, out var checksum) && checksum != m.Checksum) is { } changed)
        {
            return $"migration {changed.Version} was changed after this database applied it (the API would refuse to start)";
        }
        var pending = await Migrator.PendingAsync(conn, ct);
        if (pending.Count > 0)
        {
            Log.Info($"Applying {pending.Count} new migration(s): {string.Join(", ", pending)} ...");
            try
            {
                await Migrator.MigrateAsync(DataSource, ct);
            }
            catch (Exception e) when (e is InvalidOperationException or PostgresException)
            {
                return $"its migrations cannot be brought up to date ({e.Message})";
            }
        }
        return null;
    }

    private async Task AnalyzeIfNeverAnalyzedAsync(CancellationToken ct)
    {
        await using var conn = await DataSource.OpenConnectionAsync(ct);
        var analyzed = await conn.ExecuteScalarAsync<bool>(new CommandDefinition("""
            select coalesce(bool_and(last_analyze is not null or last_autoanalyze is not null), false)
            from pg_stat_user_tables where relname in ('products', 'variants', 'inventory', 'product_categories', 'categories')
            """, cancellationToken: ct));
        if (!analyzed)
        {
            Log.Info("Its statistics are missing (an interrupted earlier load?): running VACUUM ANALYZE ...");
            await conn.ExecuteAsync(new CommandDefinition("vacuum (analyze)", commandTimeout: 600, cancellationToken: ct));
        }
    }

    private async Task<Dataset> DescribeAsync(bool reused, TimeSpan loadTime, CancellationToken ct)
    {
        await using var conn = await DataSource.OpenConnectionAsync(ct);
        var row = await conn.QuerySingleAsync<(long Products, long Active, long Variants, long Categories, long Bytes)>(new CommandDefinition("""
            select (select count(*) from products),
                   (select count(*) from products where status = 'active'),
                   (select count(*) from variants),
                   (select count(*) from categories),
                   pg_database_size(current_database())
            """, cancellationToken: ct));
        var dataset = new Dataset(row.Products, row.Active, row.Variants, row.Categories, row.Bytes, reused, loadTime);
        Log.Info($"Dataset: {dataset.Products:N0} products ({dataset.ActiveProducts:N0} active), {dataset.Variants:N0} variants, {dataset.Categories} categories, {dataset.DatabaseBytes / 1024.0 / 1024.0:N0} MiB on disk.");
        return dataset;
    }

    /// <summary>A deterministic spread of active products (ordered by a hash of the slug, not by age).</summary>
    public async Task<IReadOnlyList<string>> SampleProductSlugsAsync(int count, CancellationToken ct)
    {
        await using var conn = await DataSource.OpenConnectionAsync(ct);
        var slugs = (await conn.QueryAsync<string>(new CommandDefinition(
            "select slug from products where status = 'active' order by md5(slug) limit @count", new { count }, cancellationToken: ct))).ToList();
        if (slugs.Count < count)
        {
            throw new BenchFailure($"Expected {count:N0} active products to sample, found {slugs.Count:N0}.");
        }
        return slugs;
    }

    /// <summary>A deterministic mix of top-level and leaf categories.</summary>
    public async Task<IReadOnlyList<string>> SampleCategorySlugsAsync(int count, CancellationToken ct)
    {
        await using var conn = await DataSource.OpenConnectionAsync(ct);
        return (await conn.QueryAsync<string>(new CommandDefinition(
            "select slug from categories order by md5(slug) limit @count", new { count }, cancellationToken: ct))).ToList();
    }

    /// <summary>
    /// When wrk stops it closes its connections, but the API does not cancel the queries of requests
    /// whose client has gone: they run on, and would slow the next run. Waits until no query of the
    /// API is active (at most <paramref name="max"/>); returns how many there were and how long it took.
    /// </summary>
    public async Task<(long Abandoned, TimeSpan Waited)> WaitForApiQueriesToFinishAsync(TimeSpan max, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await using var conn = await DataSource.OpenConnectionAsync(ct);
        long first = -1;
        while (true)
        {
            var active = await conn.ExecuteScalarAsync<long>(new CommandDefinition("""
                select count(*) from pg_stat_activity
                where datname = current_database() and application_name = 'headless-api' and state = 'active' and pid <> pg_backend_pid()
                """, cancellationToken: ct));
            if (first < 0)
            {
                first = active;
            }
            if (active == 0 || clock.Elapsed > max)
            {
                return (first, clock.Elapsed);
            }
            await Task.Delay(250, ct);
        }
    }

    public async Task<(string Version, string SharedBuffers, string MaxConnections)> ServerInfoAsync(CancellationToken ct)
    {
        await using var conn = await DataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleAsync<(string, string, string)>(new CommandDefinition(
            "select version(), current_setting('shared_buffers'), current_setting('max_connections')", cancellationToken: ct));
    }

    /// <summary>Runs <paramref name="query"/> on a connection of its own.</summary>
    public async Task<T> QueryAsync<T>(Func<NpgsqlConnection, Task<T>> query, CancellationToken ct)
    {
        await using var conn = await DataSource.OpenConnectionAsync(ct);
        return await query(conn);
    }

    public async Task ExecuteAsync(string sql, object? args, CancellationToken ct)
    {
        await using var conn = await DataSource.OpenConnectionAsync(ct);
        await conn.ExecuteAsync(new CommandDefinition(sql, args, commandTimeout: 300, cancellationToken: ct));
    }

    /// <summary>Empties what checkouts wrote (orders, carts, payments, idempotency records) and releases every reservation.</summary>
    public Task ResetCommerceAsync(CancellationToken ct) => ExecuteAsync("""
        truncate order_events, payments, refunds, order_lines, orders, cart_lines, carts, idempotency_keys;
        update inventory set reserved = 0 where reserved <> 0;
        """, null, ct);

    /// <summary>Loads the demo pricing rules (checkouts need a shipping method and a tax rule) in the catalog's
    /// currency, which it returns.</summary>
    public async Task<string> EnsureDemoPricingAsync(CancellationToken ct)
    {
        var currency = await QueryAsync(c => c.ExecuteScalarAsync<string>("select currency from variants limit 1"), ct) is { } cur ? cur.Trim() : "EUR";
        if (await DemoPricing.LoadAsync(DataSource, currency, ct))
        {
            Log.Info("Loaded the demo pricing rules (shipping methods, tax rates).");
        }
        return currency;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        if (_local is not null)
        {
            Log.Step("Stopping the benchmark's PostgreSQL cluster (unless it was already running before this run) ...");
            await _local.DisposeAsync();
        }
    }

    private sealed class LogProgress : IProgress<string>
    {
        public void Report(string value) => Log.Info($"copied {value.Replace("/", " of ", StringComparison.Ordinal)} rows");
    }

    /// <summary>Forwards LocalPostgres's own progress lines to our log.</summary>
    private sealed class PrefixWriter(string prefix) : TextWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void WriteLine(string? value) => Log.Info(prefix + value);
    }
}
