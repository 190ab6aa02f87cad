using System.Net;
using Dapper;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Admin;

public sealed class AdminInventoryTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _admin = api.Admin();

    private async Task<(string Token, ProductDetail Product)> SeedAsync(params int[] stock)
    {
        var token = "inv" + Guid.NewGuid().ToString("N")[..8];
        var product = await _admin.CreateProductAsync(CatalogSeed.Product(variants: stock.Select((s, i) =>
            CatalogSeed.Variant(sku: $"{token.ToUpperInvariant()}-{i}", stock: s, size: $"S{i}")).ToArray()) with { Title = "Wool Socks " + token });
        return (token, product);
    }

    private async Task<InventoryPage> PageAsync(string query) =>
        await (await _admin.GetAsync($"/api/v1/admin/inventory?{query}")).ReadAsync<InventoryPage>();

    [Fact]
    public async Task Lists_skus_with_product_and_stock_filtered_by_text_and_low_stock_page_by_page()
    {
        var (token, product) = await SeedAsync(20, 2, 9);

        var first = await PageAsync($"q={token}&limit=2");
        Assert.Equal(2, first.Items.Count);
        var second = await PageAsync($"q={token}&limit=2&cursor={first.NextCursor}");
        Assert.Null(second.NextCursor);
        var all = first.Items.Concat(second.Items).ToList();
        Assert.Equal(product.Variants.Select(v => v.Sku).Order(StringComparer.Ordinal), all.Select(r => r.Sku));
        Assert.All(all, r => Assert.Equal((product.Id, product.Title, 5), (r.ProductId, r.ProductTitle, r.LowStockThreshold)));
        Assert.Equal([20, 2, 9], all.Select(r => r.Available));

        var low = await PageAsync($"q={token}&lowStock=true");
        Assert.Equal([$"{token.ToUpperInvariant()}-1"], low.Items.Select(r => r.Sku));
        Assert.True(low.Items[0].LowStock);
        // the title matches too
        Assert.Equal(3, (await PageAsync($"q=Wool%20Socks%20{token}")).Items.Count);
    }

    [Fact]
    public async Task The_threshold_needs_If_Match_is_audited_and_moves_the_sku_and_product_into_the_low_stock_views()
    {
        var (token, product) = await SeedAsync(8);
        var sku = product.Variants[0].Sku;
        var url = $"/api/v1/admin/inventory/{sku}/threshold";

        await (await _admin.SendJsonAsync(HttpMethod.Put, url, new { threshold = 10 })).ProblemAsync((HttpStatusCode)428);
        await (await _admin.SendJsonAsync(HttpMethod.Put, url, new { threshold = 10 }, "\"v99\"")).ProblemAsync(HttpStatusCode.PreconditionFailed);
        await (await _admin.SendJsonAsync(HttpMethod.Put, url, new { threshold = -1 }, "\"v1\"")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await _admin.SendJsonAsync(HttpMethod.Put, "/api/v1/admin/inventory/NO-SUCH-SKU/threshold", new { threshold = 1 }, "\"v1\"")).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Empty((await PageAsync($"q={token}&lowStock=true")).Items);

        var etag = await _admin.ETagOfAsync($"/api/v1/admin/inventory/{sku}");
        var response = await _admin.SendJsonAsync(HttpMethod.Put, url, new { threshold = 10 }, etag);
        var row = await response.ReadAsync<InventoryRow>();
        Assert.Equal((10, true), (row.LowStockThreshold, row.LowStock));
        Assert.NotEqual(etag, response.Headers.ETag!.ToString());
        Assert.Equal([sku], (await PageAsync($"q={token}&lowStock=true")).Items.Select(r => r.Sku));
        var listed = await (await _admin.GetAsync($"/api/v1/admin/products?q={token}&stock=low")).ReadAsync<AdminProductPage>();
        Assert.Equal(product.Id, Assert.Single(listed.Items).Id);

        await using var conn = await api.Db.OpenConnectionAsync();
        var audit = await conn.QuerySingleAsync<(string Before, string After)>(
            "select before::text, after::text from audit_log where action = 'inventory.threshold_changed' and entity_id = @sku", new { sku });
        Assert.Contains("\"lowStockThreshold\": 5", audit.Before, StringComparison.Ordinal);
        Assert.Contains("\"lowStockThreshold\": 10", audit.After, StringComparison.Ordinal);
        Assert.Equal(0, await conn.ExecuteScalarAsync<int>("select count(*) from stock_movements where sku = @sku and reason <> 'initial stock'", new { sku }));
    }

    [Fact]
    public async Task The_ledger_lists_every_stock_change_newest_first_with_reason_and_actor_including_reservations()
    {
        var (_, product) = await SeedAsync(10);
        var sku = product.Variants[0].Sku;
        await (await _admin.SendJsonAsync(HttpMethod.Post, $"/api/v1/admin/inventory/{sku}/adjustments", new AdjustStockRequest(5, "delivery"))).ReadAsync<StockLevel>();
        await (await _admin.SendJsonAsync(HttpMethod.Put, $"/api/v1/admin/inventory/{sku}", new SetStockRequest(12, "stock take"),
            await _admin.ETagOfAsync($"/api/v1/admin/inventory/{sku}"))).ReadAsync<StockLevel>();
        // a change made straight in the database (a checkout reservation's shape) still lands in the ledger
        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("update inventory set reserved = reserved + 2 where sku = @sku", new { sku });
        }

        var first = await (await _admin.GetAsync($"/api/v1/admin/inventory/{sku}/ledger?limit=2")).ReadAsync<StockLedgerPage>();
        var rest = await (await _admin.GetAsync($"/api/v1/admin/inventory/{sku}/ledger?limit=2&cursor={first.NextCursor}")).ReadAsync<StockLedgerPage>();
        Assert.Null(rest.NextCursor);
        var entries = first.Items.Concat(rest.Items).ToList();
        Assert.Equal(["reserved", "stock take", "delivery", "initial stock"], entries.Select(e => e.Reason));
        Assert.Equal([(0, 12, 2, (int?)2), (-3, 12, 0, 0), (5, 15, 0, 0), (10, 10, 0, 0)],
            entries.Select(e => (e.OnHandDelta, e.OnHand, e.ReservedDelta, e.Reserved)));
        Assert.Equal("system", entries[0].Actor);
        Assert.StartsWith("api-key:", entries[1].Actor, StringComparison.Ordinal);

        await (await _admin.GetAsync("/api/v1/admin/inventory/NO-SUCH-SKU/ledger")).ProblemAsync(HttpStatusCode.NotFound);
        await (await _admin.GetAsync($"/api/v1/admin/inventory/{sku}/ledger?cursor=xyz")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await _admin.GetAsync($"/api/v1/admin/inventory/{sku}/ledger?limit=500")).ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("lowStock=maybe", "lowStock")]
    [InlineData("cursor=%%%", "cursor")]
    public async Task Bad_query_values_are_a_400_problem(string query, string field)
    {
        var problem = await (await _admin.GetAsync($"/api/v1/admin/inventory?{query}")).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]![field]);
    }
}
