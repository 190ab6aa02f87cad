using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Admin;

public sealed class AdminCatalogTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _admin = api.Admin();
    private readonly HttpClient _public = api.CreateClient();

    [Fact]
    public async Task A_created_product_is_public_at_once_with_its_stock()
    {
        var category = await _admin.CreateCategoryAsync(CatalogSeed.Unique("bags"));
        var created = await _admin.CreateProductAsync(CatalogSeed.Product(categories: [category.Id],
            variants: [CatalogSeed.Variant(price: 2400, stock: 7), CatalogSeed.Variant(price: 1900, stock: 0, size: "L")]));

        var product = await (await _public.GetAsync($"/api/v1/products/{created.Slug}")).ReadAsync<ProductDetail>();
        Assert.Equal(created.Id, product.Id);
        Assert.Equal([7, 0], product.Variants.Select(v => v.Available));
        Assert.True(product.InStock);
        Assert.Equal(category.Slug, Assert.Single(product.Categories).Slug);

        var listed = await (await _public.GetAsync($"/api/v1/products?category={category.Slug}")).ReadAsync<ProductPage>();
        Assert.Equal(1900, Assert.Single(listed.Items).PriceFrom!.Amount);
    }

    [Fact]
    public async Task Updates_need_the_current_ETag_and_refuse_a_stale_one()
    {
        var created = await _admin.CreateProductAsync(CatalogSeed.Product());
        var url = $"/api/v1/admin/products/{created.Id}";
        var etag = (await _admin.GetAsync(url)).Headers.ETag!.ToString();

        var missing = await _admin.SendJsonAsync(HttpMethod.Patch, url, new { title = "New title" });
        await missing.ProblemAsync((HttpStatusCode)428);

        var ok = await _admin.SendJsonAsync(HttpMethod.Patch, url, new { title = "Undyed Linen Tote" }, etag);
        var updated = await ok.ReadAsync<ProductDetail>();
        Assert.Equal("Undyed Linen Tote", updated.Title);
        Assert.Equal(created.Version + 1, updated.Version);
        Assert.NotEqual(etag, ok.Headers.ETag!.ToString());

        var before = await CatalogSeed.FingerprintAsync(api.Db);
        var stale = await _admin.SendJsonAsync(HttpMethod.Patch, url, new { title = "Lost update" }, etag);
        await stale.ProblemAsync(HttpStatusCode.PreconditionFailed);
        Assert.Equal(before, await CatalogSeed.FingerprintAsync(api.Db));

        var product = await (await _public.GetAsync($"/api/v1/products/{created.Id}")).ReadAsync<ProductDetail>();
        Assert.Equal("Undyed Linen Tote", product.Title);
    }

    [Fact]
    public async Task Concurrent_updates_with_the_same_ETag_let_exactly_one_win()
    {
        var created = await _admin.CreateProductAsync(CatalogSeed.Product());
        var url = $"/api/v1/admin/products/{created.Id}";
        var etag = $"\"v{created.Version}\"";

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            _admin.SendJsonAsync(HttpMethod.Patch, url, new { title = $"Edit {i}" }, etag)));

        Assert.Single(results, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Equal(11, results.Count(r => r.StatusCode == HttpStatusCode.PreconditionFailed));
        var stored = await (await _admin.GetAsync(url)).ReadAsync<ProductDetail>();
        Assert.Equal(created.Version + 1, stored.Version);
    }

    [Fact]
    public async Task Archiving_removes_the_product_from_the_shop_and_the_feed_says_so()
    {
        var created = await _admin.CreateProductAsync(CatalogSeed.Product());
        Assert.Equal(HttpStatusCode.OK, (await _public.GetAsync($"/api/v1/products/{created.Slug}")).StatusCode);

        var archived = await (await _admin.PostWithIfMatchAsync($"/api/v1/admin/products/{created.Id}/archive", AdminIfMatch.ETag(created.Version))).ReadAsync<ProductDetail>();
        Assert.Equal("archived", archived.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await _public.GetAsync($"/api/v1/products/{created.Slug}")).StatusCode);

        await using var conn = await api.Db.OpenConnectionAsync();
        var topics = await conn.QueryAsync<string>(
            "select topic from outbox where aggregate_id = @id order by id", new { id = created.Id.ToString() });
        Assert.Equal(["product.created", "product.archived"], topics);
    }

    [Fact]
    public async Task A_price_change_shows_on_the_public_product_and_listing_immediately()
    {
        var created = await _admin.CreateProductAsync(CatalogSeed.Product(variants: CatalogSeed.Variant(price: 1000)));
        var variant = created.Variants[0];
        await _public.GetAsync($"/api/v1/products/{created.Slug}"); // warm the cache

        var response = await _admin.SendJsonAsync(HttpMethod.Patch, $"/api/v1/admin/products/{created.Id}/variants/{variant.Id}",
            new { price = new { amount = 1250, currency = "EUR" } }, $"\"v{variant.Version}\"");
        var updated = await response.ReadAsync<ProductVariant>();
        Assert.Equal(1250, updated.Price.Amount);

        var product = await (await _public.GetAsync($"/api/v1/products/{created.Slug}")).ReadAsync<ProductDetail>();
        Assert.Equal(1250, product.Variants[0].Price.Amount);
        await using var conn = await api.Db.OpenConnectionAsync();
        Assert.Equal(1250, await conn.ExecuteScalarAsync<long>("select min_price from products where id = @id", new { id = created.Id }));
    }

    [Fact]
    public async Task Variants_can_be_added_and_archived_but_not_the_last_one_of_an_active_product()
    {
        var created = await _admin.CreateProductAsync(CatalogSeed.Product(variants: CatalogSeed.Variant(price: 3000)));
        var added = await (await _admin.PostAsJsonAsync($"/api/v1/admin/products/{created.Id}/variants", CatalogSeed.Variant(price: 2000, size: "S"), Http.Json))
            .ReadAsync<ProductVariant>(HttpStatusCode.Created);

        var archived = await (await _admin.PostWithIfMatchAsync($"/api/v1/admin/products/{created.Id}/variants/{created.Variants[0].Id}/archive", AdminIfMatch.ETag(created.Variants[0].Version)))
            .ReadAsync<ProductVariant>();
        Assert.Equal("archived", archived.Status);
        var lastOne = await _admin.PostWithIfMatchAsync($"/api/v1/admin/products/{created.Id}/variants/{added.Id}/archive", AdminIfMatch.ETag(added.Version));
        await lastOne.ProblemAsync(HttpStatusCode.Conflict);

        var product = await (await _public.GetAsync($"/api/v1/products/{created.Id}")).ReadAsync<ProductDetail>();
        Assert.Equal(added.Id, Assert.Single(product.Variants).Id);
    }

    [Fact]
    public async Task Stock_is_set_and_adjusted_with_a_reason_into_the_ledger_and_audit_log()
    {
        var created = await _admin.CreateProductAsync(CatalogSeed.Product(variants: CatalogSeed.Variant(stock: 5)));
        var sku = created.Variants[0].Sku;

        var set = await (await _admin.SendJsonAsync(HttpMethod.Put, $"/api/v1/admin/inventory/{sku}", new SetStockRequest(40, "stock take"), await _admin.ETagOfAsync($"/api/v1/admin/inventory/{sku}"))).ReadAsync<StockLevel>();
        Assert.Equal(40, set.OnHand);
        var adjusted = await (await _admin.SendJsonAsync(HttpMethod.Post, $"/api/v1/admin/inventory/{sku}/adjustments", new AdjustStockRequest(-3, "damaged"))).ReadAsync<StockLevel>();
        Assert.Equal(37, adjusted.Available);

        await using var conn = await api.Db.OpenConnectionAsync();
        var ledger = (await conn.QueryAsync<(int Delta, int OnHand, string Reason)>(
            "select delta, on_hand, reason from stock_movements where sku = @sku order by id", new { sku })).ToList();
        Assert.Equal([(5, 5, "initial stock"), (35, 40, "stock take"), (-3, 37, "damaged")], ledger);
        var audit = (await conn.QueryAsync<(string Actor, string Before, string After, string Ip)>("""
            select actor, before::text, after::text, coalesce(host(client_ip), '') from audit_log
            where entity_type = 'inventory' and entity_id = @sku order by id
            """, new { sku })).ToList();
        Assert.Equal(2, audit.Count);
        Assert.All(audit, a => Assert.StartsWith("api-key:", a.Actor));
        Assert.Equal(5, JsonNode.Parse(audit[0].Before)!["onHand"]!.GetValue<int>());
        Assert.Equal("damaged", JsonNode.Parse(audit[1].After)!["reason"]!.GetValue<string>());
        var events = await conn.ExecuteScalarAsync<long>(
            "select count(*) from outbox where topic = 'inventory.changed' and payload ->> 'sku' = @sku", new { sku });
        Assert.Equal(2, events);
    }

    [Fact]
    public async Task Concurrent_stock_removals_never_drive_stock_below_zero()
    {
        var created = await _admin.CreateProductAsync(CatalogSeed.Product(variants: CatalogSeed.Variant(stock: 30)));
        var sku = created.Variants[0].Sku;

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            _admin.SendJsonAsync(HttpMethod.Post, $"/api/v1/admin/inventory/{sku}/adjustments", new AdjustStockRequest(-1, "sold at market"))));

        Assert.Equal(30, results.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(20, results.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        var level = await (await _admin.GetAsync($"/api/v1/admin/inventory/{sku}")).ReadAsync<StockLevel>();
        Assert.Equal(0, level.OnHand);
        await using var conn = await api.Db.OpenConnectionAsync();
        Assert.Equal(30, await conn.ExecuteScalarAsync<long>("select count(*) from stock_movements where sku = @sku and delta = -1", new { sku }));
    }

    [Fact]
    public async Task Categories_are_managed_as_a_tree_without_cycles()
    {
        var root = await _admin.CreateCategoryAsync(CatalogSeed.Unique("garden"));
        var child = await _admin.CreateCategoryAsync(CatalogSeed.Unique("seeds"), root.Id);

        var cycle = await _admin.SendJsonAsync(HttpMethod.Patch, $"/api/v1/admin/categories/{root.Id}", new { parentId = child.Id }, $"\"v{root.Version}\"");
        Assert.Contains("parentId", (await cycle.ProblemAsync(HttpStatusCode.BadRequest)).FieldErrors());

        var renamed = await (await _admin.SendJsonAsync(HttpMethod.Patch, $"/api/v1/admin/categories/{child.Id}", new { name = "Heirloom Seeds" }, $"\"v{child.Version}\""))
            .ReadAsync<CategoryNode>();
        Assert.Equal("Heirloom Seeds", renamed.Name);
        var tree = await (await _public.GetAsync("/api/v1/categories")).ReadAsync<CategoryTree>();
        Assert.Equal("Heirloom Seeds", Assert.Single(tree.Categories.Single(c => c.Id == root.Id).Children).Name);

        await (await _admin.DeleteWithIfMatchAsync($"/api/v1/admin/categories/{root.Id}", AdminIfMatch.ETag(root.Version))).ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteWithIfMatchAsync($"/api/v1/admin/categories/{child.Id}", AdminIfMatch.ETag(renamed.Version))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteWithIfMatchAsync($"/api/v1/admin/categories/{root.Id}", AdminIfMatch.ETag(root.Version))).StatusCode);
    }

    [Fact]
    public async Task Every_write_leaves_an_audit_row_with_before_and_after_in_the_same_transaction()
    {
        var created = await _admin.CreateProductAsync(CatalogSeed.Product());
        await _admin.SendJsonAsync(HttpMethod.Patch, $"/api/v1/admin/products/{created.Id}", new { featured = true }, $"\"v{created.Version}\"");

        await using var conn = await api.Db.OpenConnectionAsync();
        var rows = (await conn.QueryAsync<(string Action, string? Before, string After, string Ip)>("""
            select action, before::text, after::text, coalesce(host(client_ip), '') from audit_log where entity_id = @id order by id
            """, new { id = created.Id.ToString() })).ToList();
        Assert.Equal(["product.created", "product.updated"], rows.Select(r => r.Action));
        Assert.Null(rows[0].Before);
        Assert.False(JsonNode.Parse(rows[1].Before!)!["featured"]!.GetValue<bool>());
        Assert.True(JsonNode.Parse(rows[1].After)!["featured"]!.GetValue<bool>());
    }
}
