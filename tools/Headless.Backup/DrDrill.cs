using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using Dapper;
using Headless.Api.Features.Demo;
using Headless.Api.Platform.Database;
using Headless.Api.Platform.Hosting;
using Npgsql;

namespace Headless.Backup;

public sealed record DrDrillOptions(int Products, int Orders, int Seconds, int Workers, int ArchiveTimeout, int PgPort, int ApiPort, string Directory, string Repository)
{
    public static DrDrillOptions From(IReadOnlyDictionary<string, string> o)
    {
        int Int(string key, int fallback)
        {
            if (!o.TryGetValue(key, out var value))
            {
                return fallback;
            }
            return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n
                : throw new BackupError($"--{key}={value} is not a positive whole number.");
        }
        return new DrDrillOptions(
            Int("products", 100_000), Int("orders", 1_000_000), Int("seconds", 90), Int("workers", 4), Int("archive-timeout", 60),
            Int("pg-port", 54369), Int("api-port", 5097),
            o.GetValueOrDefault("dir") ?? Path.Combine(RepoPaths.Data, "dr-drill", "pg"),
            o.GetValueOrDefault("repo") ?? Path.Combine(RepoPaths.Data, "dr-drill", "backups"));
    }
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
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private void Step(string message) => log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{_clock.Elapsed.TotalSeconds,6:F1} s] {message}"));

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var apiDll = Path.Combine(RepoPaths.Root, "api", "bin", "Release", "net10.0", "Headless.Api.dll");
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
        var pg = await LocalPostgres.StartAsync(options.Directory, options.PgPort, null, new Prefixed(log), ct, archive);
        var logins = await LocalLogins.EnsureAsync(pg.ConnectionString("postgres"), options.Directory, DatabaseName, ct);

        await LoadAsync(logins.Owner, ct);

        var backups = new ClusterBackups(options.Directory, options.PgPort, archive.Repository, new Prefixed(log));
        Step("Base backup (full) ...");
        var backup = await backups.BackupAsync("full", ct);

        Step("Starting the API (Release build, Development: test payments) ...");
        var api = await ApiChild.StartAsync(apiDll, options.ApiPort, logins, Path.Combine(options.Directory, "..", "api-1.log"), ct);
        var skus = await SkusAsync(logins.Owner, ct);
        Step($"Placing orders through POST /api/v1/checkouts for {options.Seconds} s ({options.Workers} shoppers, {skus.Length:N0} SKUs) ...");
        var confirmed = new ConcurrentQueue<ConfirmedOrder>();
        var refused = new ConcurrentDictionary<string, int>();
        using var stopOrdering = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var shoppers = Enumerable.Range(0, options.Workers).Select(i => ShopAsync(api.Http, skus, i, confirmed, refused, stopOrdering.Token)).ToArray();
        var ordering = Stopwatch.StartNew();
        while (ordering.Elapsed < TimeSpan.FromSeconds(options.Seconds))
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, options.Seconds)), ct);
            var archived = await ArchivedAsync(pg, ct);
            Step($"  {confirmed.Count:N0} orders confirmed ({confirmed.Count / ordering.Elapsed.TotalSeconds:F0}/s){Refusals(refused)}; last archived WAL {archived}");
        }

        // The disaster: while the shoppers are still ordering.
        var postmaster = int.Parse(File.ReadLines(Path.Combine(pg.DataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        var disaster = DateTimeOffset.UtcNow;
        var rto = Stopwatch.StartNew();
        var refusedBefore = new ConcurrentDictionary<string, int>(refused);
        KillTree(postmaster);
        // Requests in flight at the kill fail (no 201, so not counted as confirmed); the shoppers stop here.
        await stopOrdering.CancelAsync();
        await Task.WhenAll(shoppers);
        Step($"DISASTER: PostgreSQL (pid {postmaster}) killed with SIGKILL; deleting {pg.DataDirectory} ...");
        Directory.Delete(pg.DataDirectory, recursive: true);
        await api.DisposeAsync();
        var orders = confirmed.ToList();
        Step($"{orders.Count:N0} orders were confirmed (201) before the disaster; the API is stopped too.");

        Step("Restoring to latest ...");
        var restored = await backups.RestoreAsync(RestoreTarget.Latest, ct);
        Step("Starting the API again ...");
        await using var again = await ApiChild.StartAsync(apiDll, options.ApiPort, logins, Path.Combine(options.Directory, "..", "api-2.log"), ct);
        rto.Stop();
        Step($"API ready: {rto.Elapsed.TotalSeconds:F1} s after the disaster.");

        var found = await FoundAsync(logins.Owner, orders, ct);
        var lost = orders.Where(o => !found.Contains(o.Number)).ToList();
        var lastConfirmed = orders.Count == 0 ? (DateTimeOffset?)null : orders.Max(o => o.ConfirmedAt);
        var lastCommit = restored.LastRestoredCommit;
        var lossSeconds = lost.Count == 0 || lastConfirmed is null || lastCommit is null ? 0 : Math.Max(0, (lastConfirmed.Value - lastCommit.Value).TotalSeconds);
        var result = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"DR drill {started:yyyy-MM-dd HH:mm} UTC: {options.Products:N0} products, {options.Orders:N0} orders loaded; base backup {Mib(backup.DatabaseBytes)} in {backup.Duration.TotalSeconds:F1} s; archive_timeout {options.ArchiveTimeout} s.")
            .AppendLine(CultureInfo.InvariantCulture, $"Orders confirmed during the drill: {orders.Count:N0} over {options.Seconds} s by {options.Workers} shoppers ({(refusedBefore.IsEmpty ? "none refused before the disaster" : Refusals(refusedBefore).TrimStart(';', ' ') + " before the disaster")}).")
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

    private static async Task<string[]> SkusAsync(string owner, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(owner) { Pooling = false }.ConnectionString);
        await conn.OpenAsync(ct);
        var skus = (await conn.QueryAsync<string>(new CommandDefinition(
            """
            select v.sku from variants v join products p on p.id = v.product_id join inventory i on i.sku = v.sku
            where p.status = 'active' and i.on_hand - i.reserved >= 50 order by v.sku limit 2000
            """, cancellationToken: ct))).ToArray();
        return skus.Length > 0 ? skus : throw new BackupError("The drill's catalog has no active product to order.");
    }

    public sealed record ConfirmedOrder(string Number, DateTimeOffset ConfirmedAt);

    /// <summary>One shopper: a cart, one line, a checkout with its own Idempotency-Key, again and again. An order
    /// counts as confirmed when the API answered 201 with its number.</summary>
    private static async Task ShopAsync(HttpClient http, string[] skus, int shopper, ConcurrentQueue<ConfirmedOrder> confirmed,
        ConcurrentDictionary<string, int> refused, CancellationToken ct)
    {
        var random = new Random(shopper);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var cart = await http.PostAsJsonAsync("/api/v1/carts", new { currency = "EUR" }, ct);
                if (!cart.IsSuccessStatusCode)
                {
                    refused.AddOrUpdate($"cart {(int)cart.StatusCode}", 1, (_, n) => n + 1);
                    continue;
                }
                var token = (await cart.Content.ReadFromJsonAsync<CartAnswer>(ct))!.Token;
                using var line = await http.PostAsJsonAsync($"/api/v1/carts/{token}/lines", new { sku = skus[random.Next(skus.Length)], quantity = 1 }, ct);
                if (!line.IsSuccessStatusCode)
                {
                    refused.AddOrUpdate($"line {(int)line.StatusCode}", 1, (_, n) => n + 1);
                    continue;
                }
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/checkouts")
                {
                    Content = JsonContent.Create(new
                    {
                        cartToken = token,
                        email = $"drill{shopper}@example.com",
                        shippingAddress = new { fullName = "Drill Shopper", line1 = "Hauptstraße 1", city = "Berlin", postalCode = "10115", country = "DE" },
                        shippingMethod = "standard",
                    }),
                };
                request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
                using var checkout = await http.SendAsync(request, ct);
                if ((int)checkout.StatusCode == 201)
                {
                    var answer = (await checkout.Content.ReadFromJsonAsync<CheckoutAnswer>(ct))!;
                    confirmed.Enqueue(new ConfirmedOrder(answer.Order.Number, DateTimeOffset.UtcNow));
                }
                else
                {
                    refused.AddOrUpdate($"checkout {(int)checkout.StatusCode}", 1, (_, n) => n + 1);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (HttpRequestException)
            {
                refused.AddOrUpdate("connection error", 1, (_, n) => n + 1);
            }
        }
    }

    private sealed record CartAnswer(string Token);
    private sealed record CheckoutAnswer(OrderAnswer Order);
    private sealed record OrderAnswer(string Number);

    private static async Task<HashSet<string>> FoundAsync(string owner, List<ConfirmedOrder> orders, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(owner) { Pooling = false }.ConnectionString);
        await conn.OpenAsync(ct);
        var numbers = orders.Select(o => o.Number).ToArray();
        return [.. await conn.QueryAsync<string>(new CommandDefinition("select number from orders where number = any(@numbers)", new { numbers }, cancellationToken: ct))];
    }

    private static async Task<string> ArchivedAsync(LocalPostgres pg, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(pg.ConnectionString("postgres")) { Pooling = false }.ConnectionString);
        await conn.OpenAsync(ct);
        return await conn.ExecuteScalarAsync<string?>("select coalesce(last_archived_wal, 'none') || ' at ' || coalesce(to_char(last_archived_time at time zone 'UTC', 'HH24:MI:SS'), '-') from pg_stat_archiver") ?? "none";
    }

    /// <summary>SIGKILL to the postmaster and its children at once (no shutdown checkpoint, nothing flushed to the
    /// archive), then waits until they are gone so the restore does not meet a half-dead server.</summary>
    private static void KillTree(int postmaster)
    {
        var children = Directory.GetDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && ParentOf(pid) == postmaster)
            .Prepend(postmaster)
            .ToList();
        foreach (var pid in children)
        {
            using var kill = Process.Start("kill", ["-9", pid.ToString(CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }
        var deadline = Stopwatch.StartNew();
        while (children.Any(pid => Directory.Exists($"/proc/{pid}") && !IsZombie(pid)) && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(20);
        }
    }

    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
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

    private static string Refusals(ConcurrentDictionary<string, int> refused) =>
        refused.IsEmpty ? "" : "; refused: " + string.Join(", ", refused.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key} ×{r.Value}"));

    private static string Time(DateTimeOffset? t) => t is { } v ? v.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture) + " UTC" : "unknown";

    private static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F0} MiB");

    private sealed class Prefixed(TextWriter inner) : TextWriter
    {
        public override Encoding Encoding => inner.Encoding;
        public override void WriteLine(string? value) => inner.WriteLine("    " + value);
    }
}
