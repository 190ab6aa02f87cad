using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Headless.Contracts.Admin;
using Headless.Contracts.Search;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Search;

/// <summary>The indexer (an outbox consumer) brings product, price, stock and category changes into the
/// index; the lag is reported in /health/ready (and as headless_search_index_lag_seconds, where the
/// one-second aim is watched: a wall-clock assertion here failed only when the suite loaded the machine);
/// a full reindex rebuilds it.</summary>
public sealed class SearchIndexSyncTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task A_new_product_a_rename_and_a_price_change_reach_the_index()
    {
        var admin = api.Admin();
        await admin.SearchAsync("q=warmup"); // the first request of a fresh host compiles the search path
        var product = await admin.CreateAsync("Saffronel Tea Caddy", price: 2000);
        await admin.UntilFoundAsync("q=saffronel", product.Id);

        var etag = (await admin.GetAsync($"/api/v1/admin/products/{product.Id}")).Headers.ETag!.Tag;
        var rename = await admin.SendJsonAsync(HttpMethod.Patch, $"/api/v1/admin/products/{product.Id}",
            new UpdateProductRequest(null, "Gossamerin Tea Caddy", null, null, null, null, null, null), etag);
        Assert.Equal(HttpStatusCode.OK, rename.StatusCode);
        await admin.UntilFoundAsync("q=gossamerin", product.Id);
        Assert.Empty((await admin.SearchAsync("q=saffronel")).Items);

        var variant = product.Variants[0];
        var variantEtag = $"\"v{variant.Version}\"";
        var reprice = await admin.SendJsonAsync(HttpMethod.Patch, $"/api/v1/admin/products/{product.Id}/variants/{variant.Id}",
            new UpdateVariantRequest(null, null, new MoneyInput(900, "EUR"), null), variantEtag);
        Assert.True(reprice.IsSuccessStatusCode, await reprice.Content.ReadAsStringAsync());
        var cheap = await SearchKit.EventuallyAsync(() => admin.SearchAsync("q=gossamerin&maxPrice=999"), r => r.Items.Count == 1, SearchKit.IndexedWithin);
        Assert.Single(cheap.Items);
    }

    [Fact]
    public async Task A_sold_out_product_leaves_the_in_stock_facet_once_indexed_and_categories_follow_renames()
    {
        var admin = api.Admin();
        var category = await admin.CreateCategoryAsync(CatalogSeed.Unique("lanterns"));
        var product = await admin.CreateAsync("Quenlaris Lantern", stock: 2, categories: [category.Id]);
        var before = await admin.UntilFoundAsync($"q=quenlaris&facets=true&category={category.Slug}", product.Id);
        Assert.Equal(1, before.Facets!.Availability.InStock);

        var sale = await admin.PostAsJsonAsync($"/api/v1/admin/inventory/{product.Variants[0].Sku}/adjustments", new AdjustStockRequest(-2, "sold"), Http.Json);
        Assert.True(sale.IsSuccessStatusCode, await sale.Content.ReadAsStringAsync());
        var after = await SearchKit.EventuallyAsync(() => admin.SearchAsync("q=quenlaris&facets=true"), r => r.Facets!.Availability.SoldOut == 1, SearchKit.IndexedWithin);
        Assert.Equal(0, after.Facets!.Availability.InStock);
        Assert.Empty((await admin.SearchAsync("q=quenlaris&inStock=true")).Items);

        // Category names are searchable (weight B) and a rename is re-indexed for its products.
        var rename = await admin.SendJsonAsync(HttpMethod.Patch, $"/api/v1/admin/categories/{category.Id}",
            new UpdateCategoryRequest(null, "Velvetmoor Lights", null, null, null, null), $"\"v{category.Version}\"");
        Assert.True(rename.IsSuccessStatusCode, await rename.Content.ReadAsStringAsync());
        var byCategoryName = await SearchKit.EventuallyAsync(() => admin.SearchAsync("q=velvetmoor"), r => r.Items.Count == 1, SearchKit.IndexedWithin);
        Assert.Equal(product.Id, byCategoryName.Items.Single().Id);
    }

    [Fact]
    public async Task Health_ready_reports_the_engine_and_the_index_lag()
    {
        var client = api.CreateClient();
        var health = await SearchKit.EventuallyAsync(
            async () => JsonNode.Parse(await client.GetStringAsync("/health/ready"))!,
            h => h["checks"]?["search"]?["status"]?.GetValue<string>() == "Healthy");
        var search = health["checks"]!["search"]!;
        Assert.Equal("Healthy", search["status"]!.GetValue<string>());
        Assert.Equal("postgres", search["engine"]!.GetValue<string>());
        Assert.Equal("0", search["pendingEvents"]!.GetValue<string>());

        // An event for a product that does not exist is handled (nothing to index) and the lag is back to 0.
        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("insert into outbox (topic, aggregate_type, aggregate_id) values ('product.updated', 'product', @id)",
                new { id = Guid.CreateVersion7().ToString() });
        }
        var caughtUp = await SearchKit.EventuallyAsync(
            async () => JsonNode.Parse(await client.GetStringAsync("/health/ready"))!,
            h => h["checks"]!["search"]!["pendingEvents"]!.GetValue<string>() == "0", SearchKit.IndexedWithin);
        Assert.Equal("0", caughtUp["checks"]!["search"]!["pendingEvents"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_full_reindex_rebuilds_the_index_from_the_catalog()
    {
        var admin = api.Admin();
        var product = await admin.CreateAsync("Thistlebrook Jar");
        await admin.UntilFoundAsync("q=thistlebrook", product.Id);
        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("delete from search_documents");
        }
        Assert.Empty((await admin.SearchAsync("q=thistlebrook")).Items);

        var result = await (await admin.PostAsync("/api/v1/admin/search/reindex", null)).ReadAsync<SearchReindexResult>();
        Assert.Equal("postgres", result.Engine);
        Assert.True(result.Documents >= 1);
        Assert.Equal([product.Id], (await admin.SearchAsync("q=thistlebrook")).Items.Select(i => i.Id));

        var anonymous = await api.CreateClient().PostAsync("/api/v1/admin/search/reindex", null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }
}
