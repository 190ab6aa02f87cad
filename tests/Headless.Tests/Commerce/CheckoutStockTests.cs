using Dapper;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;
using Headless.Tests.Email;
using Headless.Tests.Infrastructure;
using Headless.Tests.Search;
using Headless.Tests.Webhooks;

namespace Headless.Tests.Commerce;

/// <summary>Checkout's stock change writes the narrow product_stock row and touches the product row only when
/// the product flips between in stock and sold out or low-stock on and off (migration 0040), while every reader
/// still sees the exact count.</summary>
public sealed class CheckoutStockTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(10);

    /// <summary>A word the search tokenizer keeps whole and no other product has.</summary>
    private static string Word() => "stk" + string.Concat(Guid.NewGuid().ToString("N")[..10].Select(c => (char)('a' + (Convert.ToInt32(c.ToString(), 16) % 26))));

    /// <summary>The products row's version as PostgreSQL sees it: any update of the row changes its xmin.</summary>
    private Task<string> RowVersionAsync(Guid id) => factory.Db.ScalarAsync<string>("select xmin::text from products where id = @id", new { id });

    /// <summary>What products holds for the product: the in-stock and low-stock flags and the count written with them.</summary>
    private async Task<(bool InStock, bool Low, int Total)> FlagsAsync(Guid id)
    {
        await using var conn = await factory.Db.OpenConnectionAsync();
        return await conn.QuerySingleAsync<(bool, bool, int)>("select in_stock, low_stock, available_total from products where id = @id", new { id });
    }

    private async Task CheckOutAsync(string sku, int quantity)
    {
        var shopper = factory.CreateClient();
        await Shop.CheckOutAsync(shopper, (await Shop.NewCartAsync(shopper, (sku, quantity))).Token);
    }

    private async Task<List<AdminProductRow>> AdminListAsync(HttpClient admin, string query)
    {
        var rows = new List<AdminProductRow>();
        string? cursor = null;
        do
        {
            var page = await (await admin.GetAsync($"/api/v1/admin/products?{query}&limit=2" + (cursor is null ? "" : $"&cursor={cursor}")))
                .ReadAsync<AdminProductPage>();
            rows.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return rows;
    }

    private async Task<ProductDetail> ProductAsync(string slug, Func<ProductDetail, bool> done, string what)
    {
        var client = factory.CreateClient();
        ProductDetail? product = null;
        await Eventually.WaitUntilAsync(async () => done(product = await (await client.GetAsync($"/api/v1/products/{slug}")).ReadAsync<ProductDetail>()),
            Within, what);
        return product!;
    }

    [Fact]
    public async Task A_checkout_that_does_not_flip_availability_leaves_the_product_row_untouched_and_every_reader_exact()
    {
        await Shop.PricingAsync(factory);
        var admin = factory.Admin();
        var word = Word();
        var product = await admin.CreateAsync($"Stockhot {word}", stock: 20);
        var sku = product.Variants[0].Sku;
        await factory.CreateClient().UntilFoundAsync($"q={word}", product.Id);
        var before = await RowVersionAsync(product.Id);

        await CheckOutAsync(sku, 3);

        Assert.Equal(before, await RowVersionAsync(product.Id));
        // what the previous release reads during a deploy: the count as of the last flip, still > 0
        Assert.Equal((true, false, 20), await FlagsAsync(product.Id));
        Assert.Equal(17, await factory.Db.ScalarAsync<int>("select available_total from product_stock where product_id = @id", new { id = product.Id }));
        var row = Assert.Single(await AdminListAsync(admin, $"q={word}"));
        Assert.Equal(17, row.TotalAvailable);
        Assert.False(row.LowStock);
        var detail = await ProductAsync(product.Slug, p => p.Variants[0].Available == 17, "the product page shows 17 left");
        Assert.True(detail.InStock);
        Assert.True(Assert.Single((await factory.CreateClient().SearchAsync($"q={word}")).Items).InStock);
        // the ledger still records the reservation
        Assert.Equal(3, await factory.Db.ScalarAsync<int>("select sum(reserved_delta)::int from stock_movements where sku = @sku", new { sku }));
    }

    [Fact]
    public async Task Low_stock_and_sold_out_flip_the_product_row_with_its_listing_and_webhook_and_a_restock_flips_it_back()
    {
        await Shop.PricingAsync(factory);
        var admin = factory.Admin();
        var word = Word();
        var category = await admin.CreateCategoryAsync(CatalogSeed.Unique("flip"));
        var product = await admin.CreateAsync($"Stockhot {word}", stock: 8, categories: [category.Id]); // low at 5 or fewer
        var sku = product.Variants[0].Sku;
        var id = product.Id;
        var client = factory.CreateClient();
        var inStockListing = $"/api/v1/products?category={category.Slug}&inStock=true";
        Assert.Contains((await (await client.GetAsync(inStockListing)).ReadAsync<ProductPage>()).Items, p => p.Id == id);
        const string LowStockEvents = "select coalesce(array_agg(payload ->> 'available' order by id), '{}') from outbox where topic = 'inventory.low_stock' and aggregate_id = @id";
        var version = await RowVersionAsync(id);

        // 4 left: low stock turns on (the row is written once, the webhook event carries the exact count)
        await CheckOutAsync(sku, 4);
        Assert.NotEqual(version, await RowVersionAsync(id));
        Assert.Equal((true, true, 4), await FlagsAsync(id));
        Assert.Equal(new[] { "4" }, await factory.Db.ScalarAsync<string[]>(LowStockEvents, new { id = id.ToString() }));

        // sold out: the flag flips, the in-stock listing drops it, the admin filter and search see it
        await CheckOutAsync(sku, 4);
        Assert.Equal((false, true, 0), await FlagsAsync(id));
        Assert.Equal(new[] { "4" }, await factory.Db.ScalarAsync<string[]>(LowStockEvents, new { id = id.ToString() }));
        await Eventually.WaitUntilAsync(async () => !(await (await client.GetAsync(inStockListing)).ReadAsync<ProductPage>()).Items.Any(p => p.Id == id),
            Within, "the in-stock listing no longer shows the sold-out product");
        Assert.False((await (await client.GetAsync($"/api/v1/products?category={category.Slug}")).ReadAsync<ProductPage>()).Items.Single(p => p.Id == id).InStock);
        Assert.Equal(0, Assert.Single(await AdminListAsync(admin, $"q={word}&stock=sold_out")).TotalAvailable);
        Assert.Empty(await AdminListAsync(admin, $"q={word}&stock=in_stock"));
        Assert.False((await ProductAsync(product.Slug, p => !p.InStock, "the product page shows it sold out")).InStock);
        var found = await SearchKit.EventuallyAsync(() => client.SearchAsync($"q={word}"), r => r.Items.Count == 1 && !r.Items[0].InStock, Within);
        Assert.False(Assert.Single(found.Items).InStock);

        // restocked to 20 on hand (12 available): in stock and no longer low, back in the in-stock listing
        (await admin.SetStockAsync(sku, new { onHand = 20, reason = "restock" })).EnsureSuccessStatusCode();
        Assert.Equal((true, false, 12), await FlagsAsync(id));
        await Eventually.WaitUntilAsync(async () => (await (await client.GetAsync(inStockListing)).ReadAsync<ProductPage>()).Items.Any(p => p.Id == id),
            Within, "the in-stock listing shows the restocked product again");
        var row = Assert.Single(await AdminListAsync(admin, $"q={word}&stock=in_stock"));
        Assert.Equal(12, row.TotalAvailable);
        Assert.False(row.LowStock);
    }

    [Fact]
    public async Task The_admin_list_sorts_and_filters_by_the_exact_count_across_pages()
    {
        await Shop.PricingAsync(factory);
        var admin = factory.Admin();
        var word = Word();
        var products = new List<ProductDetail>();
        foreach (var stock in new[] { 7, 3, 9, 0, 5, 12 })
        {
            products.Add(await admin.CreateAsync($"Stockhot {word} {stock}", stock: stock));
        }
        // 9 -> 7 by a checkout that flips nothing: only product_stock knows; the sort must still see it
        var nine = products[2];
        var version = await RowVersionAsync(nine.Id);
        await CheckOutAsync(nine.Variants[0].Sku, 2);
        Assert.Equal(version, await RowVersionAsync(nine.Id));

        var expected = new[] { (7, products[0].Id), (3, products[1].Id), (7, nine.Id), (0, products[3].Id), (5, products[4].Id), (12, products[5].Id) }
            .OrderBy(p => p.Item1).ThenBy(p => p.Item2.ToString("N"), StringComparer.Ordinal).ToList();
        var ascending = await AdminListAsync(admin, $"q={word}&sort=stock&order=asc");
        Assert.Equal(expected, ascending.Select(r => (r.TotalAvailable, r.Id)).ToList());
        var descending = await AdminListAsync(admin, $"q={word}&sort=stock&order=desc");
        Assert.Equal(Enumerable.Reverse(expected).ToList(), descending.Select(r => (r.TotalAvailable, r.Id)).ToList());

        Assert.Equal([products[3].Id], (await AdminListAsync(admin, $"q={word}&stock=sold_out")).Select(r => r.Id));
        Assert.Equal(new[] { products[1].Id, products[3].Id, products[4].Id }.Order(),
            (await AdminListAsync(admin, $"q={word}&stock=low")).Select(r => r.Id).Order());
        Assert.Equal(5, (await AdminListAsync(admin, $"q={word}&stock=in_stock&sort=stock")).Count);
    }
}
