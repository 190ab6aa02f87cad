using System.Net.Http.Json;
using Dapper;
using Headless.Contracts.Admin;
using Headless.Tests.Commerce;
using Headless.Tests.Email;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Search;

/// <summary>A stock change reaches the index only when it flips a product between in stock and sold out: a
/// checkout that leaves the product in stock writes no search document (the document's row version and
/// indexed_at stay as they were once the indexer has read past the checkout's events), and the one that
/// sells the last unit flips the document within the indexer's lag aim.</summary>
public sealed class SearchStockSyncTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static readonly TimeSpan LagAim = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Only_a_checkout_that_sells_out_a_product_writes_its_search_document()
    {
        await Shop.PricingAsync(api);
        var admin = api.Admin();
        var product = await admin.CreateAsync("Brindlewick Teapot", stock: 3);
        await admin.UntilFoundAsync("q=brindlewick", product.Id);
        var sku = product.Variants[0].Sku;
        await IndexerCaughtUpAsync(product.Id);
        var before = await DocumentAsync(product.Id);
        Assert.True(before.InStock);

        var shopper = api.CreateClient();
        await Shop.CheckOutAsync(shopper, (await Shop.NewCartAsync(shopper, (sku, 1))).Token);
        await IndexerCaughtUpAsync(product.Id);
        var afterOne = await DocumentAsync(product.Id);
        Assert.Equal(before, afterOne);

        await Shop.CheckOutAsync(shopper, (await Shop.NewCartAsync(shopper, (sku, 2))).Token);
        await Eventually.WaitUntilAsync(async () => !(await DocumentAsync(product.Id)).InStock, TimeSpan.FromSeconds(10), "the sold-out product's document is flipped");
        await using var conn = await api.Db.OpenConnectionAsync();
        var lag = await conn.ExecuteScalarAsync<double>("""
            select extract(epoch from d.indexed_at - max(o.created_at))
            from search_documents d join outbox o on o.aggregate_id = d.product_id::text and o.topic = 'inventory.changed'
            where d.product_id = @id group by d.indexed_at
            """, new { id = product.Id });
        Assert.InRange(lag, 0, LagAim.TotalSeconds);
        Assert.Empty((await admin.SearchAsync("q=brindlewick&inStock=true")).Items);
    }

    [Fact]
    public async Task A_stock_change_restores_a_missing_document_of_an_indexable_product()
    {
        var admin = api.Admin();
        var product = await admin.CreateAsync("Marrowfen Ladle", stock: 4);
        await admin.UntilFoundAsync("q=marrowfen", product.Id);
        await IndexerCaughtUpAsync(product.Id);
        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("delete from search_documents where product_id = @id", new { id = product.Id });
        }

        var sale = await admin.PostAsJsonAsync($"/api/v1/admin/inventory/{product.Variants[0].Sku}/adjustments",
            new AdjustStockRequest(-1, "sold"), Http.Json);
        Assert.True(sale.IsSuccessStatusCode, await sale.Content.ReadAsStringAsync());
        await admin.UntilFoundAsync("q=marrowfen", product.Id);
    }

    private sealed record Document(string RowVersion, DateTime IndexedAt, bool InStock);

    private async Task<Document> DocumentAsync(Guid productId)
    {
        await using var conn = await api.Db.OpenConnectionAsync();
        return await conn.QuerySingleAsync<Document>(
            "select xmin::text as RowVersion, indexed_at as IndexedAt, in_stock as InStock from search_documents where product_id = @productId",
            new { productId });
    }

    /// <summary>The search indexer's position is past every outbox event of the product.</summary>
    private Task IndexerCaughtUpAsync(Guid productId) => Eventually.WaitUntilAsync(async () =>
    {
        await using var conn = await api.Db.OpenConnectionAsync();
        return await conn.ExecuteScalarAsync<bool>("""
            select not exists (
                select 1 from outbox o, outbox_consumers c
                where c.name = 'search-postgres' and o.aggregate_id = @id
                  and (o.txid, o.id) > (c.position_txid, c.position_id))
            """, new { id = productId.ToString() });
    }, TimeSpan.FromSeconds(10), "the search indexer has read past the product's events");
}
