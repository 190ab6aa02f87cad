using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dapper;
using Headless.Api.Features.Demo;
using Headless.Api.Platform.Database;
using Headless.Api.Platform.Hosting;
using Npgsql;

namespace Headless.Backup;

public sealed record DrDrillOptions(int Products, int Orders, int Seconds, int Workers, int ArchiveTimeout, int PgPort, int ApiPort, string Directory, string Repository)
{
    public static DrDrillOptions From(DrillArguments a) => new(
        a.Int("products", 100_000), a.Int("orders", 1_000_000), a.Int("seconds", 90), a.Int("workers", 4), a.Int("archive-timeout", 60),
        a.Int("pg-port", 54369), a.Int("api-port", 5097),
        a.Text("dir") ?? Path.Combine(RepoPaths.Data, "dr-drill", "pg"),
        a.Text("repo") ?? Path.Combine(RepoPaths.Data, "dr-drill", "backups"));
}

/// <summary>
/// The disaster-recovery drill (<c>./build.sh dr-drill</c>): on a cluster of its own (<c>.data/dr-drill</c>, never the
/// dev cluster), load a realistic shop, take a base backup, keep placing real orders through the API's HTTP
/// checkout while WAL is archived, then destroy the cluster (SIGKILL to PostgreSQL, data directory deleted),
/// restore to the latest archived point, start the API again and check every order the API had confirmed.
/// RPO: confirmed orders missing after the restore, and the seconds between the last confirmed order and the
/// last restored commit. RTO: from the disaster to /health/ready answering 200 again.
/// </summary>
public sealed class DrDrill(DrDrillOptions options, TextWriter log)
{
    private const string DatabaseName = "headless";
    private readonly StepLog _steps = new(log);

    private void Step(string message) => _steps.Step(message);

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var apiDll = DrillPaths.ReleaseApiDll;
        if (!File.Exists(apiDll))
        {
            throw new BackupError($"{apiDll} is missing: build the API in Release first (`./build.sh dr-drill` does).");
        }
        if (!PgBackRest.IsInstalled)
        {
            throw new BackupError($"pgBackRest is not installed ({PgBackRest.Executable}): run `./build.sh ensure-pgbackrest`.");
        }
        var started = DateTimeOffset.UtcNow;
        Step($"DR drill: {options.Products:N0} products, {options.Orders:N0} orders, {options.Seconds} s of live orders from {options.Workers} shoppers, archive_timeout {options.ArchiveTimeout} s.");
        Step($"Fresh drill cluster in {options.Directory} (port {options.PgPort}), repository {options.Repository} (both deleted first: they are the drill's own).");
        await StopLeftoverAsync();
        DeleteIfExists(options.Directory);
        DeleteIfExists(options.Repository);
        var archive = new PgBackRest(options.Directory, options.PgPort, BackupRepository.Folder(options.Repository)) { ArchiveTimeoutSeconds = options.ArchiveTimeout };
        var pg = await LocalPostgres.StartAsync(options.Directory, options.PgPort, null, new Indented(log), ct, archive);
        var logins = await LocalLogins.EnsureAsync(pg.ConnectionString("postgres"), options.Directory, DatabaseName, ct);

        await LoadAsync(logins.Owner, ct);

        var backups = new ClusterBackups(options.Directory, options.PgPort, archive.Repository, new Indented(log));
        Step("Base backup (full) ...");
        var backup = await backups.BackupAsync("full", ct);

        Step("Starting the API (Release build, Development: test payments) ...");
        var api = await ApiChild.StartAsync(apiDll, options.ApiPort, logins, Path.Combine(options.Directory, "..", "api-1.log"), ct);
        var skus = await CheckoutShoppers.SkusAsync(logins.Owner, ct, limit: 2000);
        Step($"Placing orders through POST /api/v1/checkouts for {options.Seconds} s ({options.Workers} shoppers, {skus.Length:N0} SKUs) ...");
        // Straight to the one API, as fast as it answers: no pause after a refusal, no per-shopper address.
        var shoppers = new CheckoutShoppers(api.Url, skus, emailPrefix: "drill")
        {
            RefusalPause = TimeSpan.Zero,
            RequestTimeout = TimeSpan.FromSeconds(30),
            DistinctAddresses = false,
        };
        using var stopOrdering = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var shopping = shoppers.RunAsync(options.Workers, stopOrdering.Token);
        var ordering = Stopwatch.StartNew();
        while (ordering.Elapsed < TimeSpan.FromSeconds(options.Seconds))
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, options.Seconds)), ct);
            var archived = await ArchivedAsync(pg, ct);
            Step($"  {shoppers.Confirmed.Count:N0} orders confirmed ({shoppers.Confirmed.Count / ordering.Elapsed.TotalSeconds:F0}/s){Refusals(shoppers)}; last archived WAL {archived}");
        }

        // The disaster: while the shoppers are still ordering.
        var postmaster = ProcessTree.PostmasterPid(pg.DataDirectory);
        var disaster = DateTimeOffset.UtcNow;
        var rto = Stopwatch.StartNew();
        var refusedBefore = shoppers.AnyRefused ? $"refused: {shoppers.Refusals} before the disaster" : "none refused before the disaster";
        ProcessTree.Kill(postmaster);
        // Requests in flight at the kill fail (no 201, so not counted as confirmed); the shoppers stop here.
        await stopOrdering.CancelAsync();
        await shopping;
        Step($"DISASTER: PostgreSQL (pid {postmaster}) killed with SIGKILL; deleting {pg.DataDirectory} ...");
        Directory.Delete(pg.DataDirectory, recursive: true);
        await api.DisposeAsync();
        var orders = shoppers.Confirmed.ToList();
        Step($"{orders.Count:N0} orders were confirmed (201) before the disaster; the API is stopped too.");

        Step("Restoring to latest ...");
        var restored = await backups.RestoreAsync(RestoreTarget.Latest, ct);
        Step("Starting the API again ...");
        await using var again = await ApiChild.StartAsync(apiDll, options.ApiPort, logins, Path.Combine(options.Directory, "..", "api-2.log"), ct);
        rto.Stop();
        Step($"API ready: {rto.Elapsed.TotalSeconds:F1} s after the disaster.");

        var found = await CheckoutShoppers.FoundAsync(logins.Owner, orders, ct);
        var lost = orders.Where(o => !found.Contains(o.Number)).ToList();
        var lastConfirmed = orders.Count == 0 ? (DateTimeOffset?)null : orders.Max(o => o.ConfirmedAt);
        var lastCommit = restored.LastRestoredCommit;
        var lossSeconds = lost.Count == 0 || lastConfirmed is null || lastCommit is null ? 0 : Math.Max(0, (lastConfirmed.Value - lastCommit.Value).TotalSeconds);
        var result = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"DR drill {started:yyyy-MM-dd HH:mm} UTC: {options.Products:N0} products, {options.Orders:N0} orders loaded; base backup {Mib(backup.DatabaseBytes)} in {backup.Duration.TotalSeconds:F1} s; archive_timeout {options.ArchiveTimeout} s.")
            .AppendLine(CultureInfo.InvariantCulture, $"Orders confirmed during the drill: {orders.Count:N0} over {options.Seconds} s by {options.Workers} shoppers ({refusedBefore}).")
            .AppendLine(CultureInfo.InvariantCulture, $"RPO: {lost.Count:N0} confirmed orders lost; {lossSeconds:F1} s of loss (last confirmed {Time(lastConfirmed)}, last restored commit {Time(lastCommit)}).")
            .AppendLine(CultureInfo.InvariantCulture, $"RTO: {rto.Elapsed.TotalSeconds:F1} s from the disaster to /health/ready (restore {restored.Duration.TotalSeconds:F1} s).")
            .ToString();
        Directory.CreateDirectory(Path.Combine(RepoPaths.Data, "dr-drill"));
        await File.WriteAllTextAsync(Path.Combine(RepoPaths.Data, "dr-drill", "result.txt"), result, ct);
        log.Write(result);
        await again.DisposeAsync();

        await using (var stop = await LocalPostgres.StartAsync(options.Directory, options.PgPort, null, TextWriter.Null, ct))
        {
            await stop.StopAsync();
        }
        return lost.Count == 0 ? 0 : 3;
    }

    private async Task LoadAsync(string owner, CancellationToken ct)
    {
        // Bulk loading on a busy machine outlasts the default 30 s command timeout.
        await using var db = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(owner) { CommandTimeout = 0 }.ConnectionString);
        var applied = await Migrator.MigrateAsync(db, ct);
        Step($"Migrated ({applied.Count} migrations). Generating {options.Products:N0} demo products ...");
        var catalog = DemoCatalog.Generate(options.Products);
        var load = await DemoCatalogLoader.LoadAsync(db, catalog, null, ct);
        // Shipping zones, methods and tax rates, without which no cart can check out.
        await DemoPricing.LoadAsync(db, catalog.Currency, ct);
        Step($"Loaded {load.Products:N0} products, {load.Variants:N0} variants in {load.Elapsed.TotalSeconds:F1} s. Generating {options.Orders:N0} past orders in SQL ...");
        var clock = Stopwatch.StartNew();
        await using var conn = await db.OpenConnectionAsync(ct);
        await conn.ExecuteAsync(new CommandDefinition(OrdersSql, new { orders = options.Orders }, commandTimeout: 0, cancellationToken: ct));
        Step($"  orders and their lines written in {clock.Elapsed.TotalSeconds:F1} s; VACUUM ANALYZE ...");
        await conn.ExecuteAsync(new CommandDefinition("vacuum (analyze)", commandTimeout: 0, cancellationToken: ct));
        var size = await conn.ExecuteScalarAsync<long>("select pg_database_size(current_database())");
        Step($"  database {Mib(size)}.");
    }

    // A year of history: one or two lines per order from the catalog's variants, paid, shipped or delivered.
    private const string OrdersSql = """
        create temporary table drill_variants as
            select row_number() over (order by v.sku) as n, v.sku, v.product_id, p.slug, p.title, v.title as variant_title, v.price_amount as price
            from variants v join products p on p.id = v.product_id;
        create temporary table drill_orders as
            select gen_random_uuid() as id, i,
                   1 + (i * 7919) % (select count(*) from drill_variants) as v1,
                   1 + (i * 104729) % (select count(*) from drill_variants) as v2,
                   i % 3 = 0 as two_lines,
                   now() - interval '365 days' * (1 - i::float8 / @orders) as created_at
            from generate_series(1::bigint, @orders) as i;
        insert into orders (id, number, access_token_hash, status, ship_country, currency, subtotal, discount_total,
                            shipping_total, tax_total, total, prices_include_tax, tax_rate_basis_points, shipping_method, shipping_method_name,
                            reservation, reservation_expires_at, created_at, updated_at, paid_at)
            select o.id, 'HL-' || nextval('order_numbers'), sha256(o.id::text::bytea),
                   (array['paid', 'fulfilled', 'delivered', 'delivered'])[1 + o.i % 4],
                   'DE', 'EUR', t.subtotal, 0, 490,
                   t.subtotal * 19 / 119, t.subtotal + 490, true, 1900, 'standard', 'Standard',
                   'committed', o.created_at + interval '30 minutes', o.created_at, o.created_at, o.created_at
            from drill_orders o
            join drill_variants v1 on v1.n = o.v1
            join drill_variants v2 on v2.n = o.v2
            cross join lateral (select v1.price + case when o.two_lines and o.v2 <> o.v1 then 2 * v2.price else 0 end as subtotal) t
            order by o.i;
        insert into order_lines (order_id, sku, product_id, product_slug, title, variant_title, unit_price, quantity, line_total)
            select o.id, v.sku, v.product_id, v.slug, v.title, v.variant_title, v.price, 1, v.price
            from drill_orders o join drill_variants v on v.n = o.v1
            union all
            select o.id, v.sku, v.product_id, v.slug, v.title, v.variant_title, v.price, 2, 2 * v.price
            from drill_orders o join drill_variants v on v.n = o.v2 where o.two_lines and o.v2 <> o.v1;
        """;

    private static async Task<string> ArchivedAsync(LocalPostgres pg, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(pg.ConnectionString("postgres")) { Pooling = false }.ConnectionString);
        await conn.OpenAsync(ct);
        return await conn.ExecuteScalarAsync<string?>("select coalesce(last_archived_wal, 'none') || ' at ' || coalesce(to_char(last_archived_time at time zone 'UTC', 'HH24:MI:SS'), '-') from pg_stat_archiver") ?? "none";
    }

    private async Task StopLeftoverAsync()
    {
        if (File.Exists(Path.Combine(options.Directory, "data", "postmaster.pid")) && File.Exists(Path.Combine(options.Directory, "superuser-password")))
        {
            await using var old = await LocalPostgres.StartAsync(options.Directory, options.PgPort, null, TextWriter.Null);
            await old.StopAsync();
        }
    }

    private static void DeleteIfExists(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    private static string Refusals(CheckoutShoppers shoppers) => shoppers.AnyRefused ? "; refused: " + shoppers.Refusals : "";

    private static string Time(DateTimeOffset? t) => t is { } v ? v.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture) + " UTC" : "unknown";

    private static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F0} MiB");
}
