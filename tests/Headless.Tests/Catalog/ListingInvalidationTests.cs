using Dapper;
using Headless.Api.Platform.Caching;
using Headless.Contracts.Catalog;
using Headless.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Headless.Tests.Catalog;

/// <summary>Listing pages through stock changes made the way checkouts make them (SQL plus the outbox event,
/// heard through LISTEN/NOTIFY), counted with the cache's listing query counter.</summary>
public sealed class ListingInvalidationTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = api.CreateClient();
    private CatalogCache Cache => api.Services.GetRequiredService<CatalogCache>();

    private async Task ReserveAsync(ProductDetail product, int reserved)
    {
        await using var conn = await api.Db.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await conn.ExecuteAsync("update inventory set reserved = @reserved where sku = @sku", new { reserved, sku = product.Variants[0].Sku }, tx);
        await conn.ExecuteAsync("insert into outbox (topic, aggregate_type, aggregate_id) values ('inventory.changed', 'product', @id)",
            new { id = product.Id.ToString() }, tx);
        await tx.CommitAsync();
    }

    /// <summary>Waits until the product's page shows <paramref name="available"/>: its notification, and every one
    /// committed before it (the listing ones of the same transaction included), has then been applied.</summary>
    private async Task HeardAsync(ProductDetail product, int available)
    {
        await Email.Eventually.WaitUntilAsync(async () =>
            (await (await _client.GetAsync($"/api/v1/products/{product.Slug}")).ReadAsync<ProductDetail>()).Variants[0].Available == available,
            TimeSpan.FromSeconds(5), "the change is heard");
    }

    private async Task<Dictionary<string, ProductPage>> ReadAsync(IEnumerable<string> urls)
    {
        var pages = new Dictionary<string, ProductPage>();
        foreach (var url in urls)
        {
            pages[url] = await (await _client.GetAsync(url)).ReadAsync<ProductPage>();
        }
        return pages;
    }

    [Fact]
    public async Task A_stock_change_that_does_not_flip_keeps_every_listing_and_a_flip_drops_only_the_pages_listing_the_product()
    {
        var admin = api.Admin();
        var shoes = await admin.CreateCategoryAsync(CatalogSeed.Unique("shoes"));
        var hats = await admin.CreateCategoryAsync(CatalogSeed.Unique("hats"));
        var x = await admin.CreateProductAsync(CatalogSeed.Product(categories: [shoes.Id], variants: CatalogSeed.Variant(price: 1000, stock: 3)));
        var y = await admin.CreateProductAsync(CatalogSeed.Product(categories: [hats.Id], variants: CatalogSeed.Variant(price: 1000, stock: 3)));
        await _client.GetAsync($"/api/v1/products/{x.Slug}");
        // Everything the setup announced has been applied once this change is heard.
        await ReserveAsync(x, 1);
        await HeardAsync(x, 2);

        string[] xPages = [$"/api/v1/products?category={shoes.Slug}", $"/api/v1/products?category={shoes.Slug}&inStock=true",
            $"/api/v1/products?category={shoes.Slug}&sort=price_asc"];
        string[] otherPages = [$"/api/v1/products?category={hats.Slug}", $"/api/v1/products?category={hats.Slug}&inStock=true",
            $"/api/v1/products?category={hats.Slug}&sort=title"];
        var before = await ReadAsync(xPages.Concat(otherPages));
        Assert.All(xPages, u => Assert.Contains(before[u].Items, p => p.Id == x.Id));
        Assert.All(otherPages, u => Assert.Contains(before[u].Items, p => p.Id == y.Id));
        var queries = Cache.ListingQueries;

        // 2 of 3 reserved: still in stock, so no listing can show the difference.
        await ReserveAsync(x, 2);
        await HeardAsync(x, 1);
        var unchanged = await ReadAsync(xPages.Concat(otherPages));
        Assert.Equal(queries, Cache.ListingQueries);
        Assert.All(xPages, u => Assert.True(unchanged[u].Items.Single(p => p.Id == x.Id).InStock));

        // Sold out: the three pages listing it are queried again, the hats pages are not.
        await ReserveAsync(x, 3);
        await HeardAsync(x, 0);
        var after = await ReadAsync(xPages.Concat(otherPages));
        Assert.Equal(queries + xPages.Length, Cache.ListingQueries);
        Assert.False(after[xPages[0]].Items.Single(p => p.Id == x.Id).InStock);
        Assert.DoesNotContain(after[xPages[1]].Items, p => p.Id == x.Id);
        Assert.False(after[xPages[2]].Items.Single(p => p.Id == x.Id).InStock);

        // Back in stock: it returns to its category's in-stock view.
        await ReserveAsync(x, 0);
        await HeardAsync(x, 3);
        var back = await ReadAsync(xPages.Concat(otherPages));
        Assert.Contains(back[xPages[1]].Items, p => p.Id == x.Id && p.InStock);
        Assert.Equal(queries + (2 * xPages.Length), Cache.ListingQueries);
    }

    [Fact]
    public async Task A_product_moved_to_another_category_leaves_the_old_listing_and_joins_the_new_one()
    {
        var admin = api.Admin();
        var from = await admin.CreateCategoryAsync(CatalogSeed.Unique("from"));
        var to = await admin.CreateCategoryAsync(CatalogSeed.Unique("to"));
        var product = await admin.CreateProductAsync(CatalogSeed.Product(categories: [from.Id]));
        await _client.GetAsync($"/api/v1/products/{product.Slug}");
        await ReserveAsync(product, 1);
        await HeardAsync(product, 9);
        var fromUrl = $"/api/v1/products?category={from.Slug}";
        var toUrl = $"/api/v1/products?category={to.Slug}";
        Assert.Contains((await ReadAsync([fromUrl]))[fromUrl].Items, p => p.Id == product.Id);
        Assert.Empty((await ReadAsync([toUrl]))[toUrl].Items);

        // As another instance would write it: no call into this instance's cache, only the notifications.
        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("update product_categories set category_id = @to where product_id = @id", new { to = to.Id, id = product.Id });
        }
        await ReserveAsync(product, 2);
        await HeardAsync(product, 8);
        var pages = await ReadAsync([fromUrl, toUrl]);
        Assert.Empty(pages[fromUrl].Items);
        Assert.Equal(product.Id, Assert.Single(pages[toUrl].Items).Id);
    }

    [Fact]
    public async Task Two_hundred_concurrent_requests_for_one_uncached_page_run_one_query()
    {
        var admin = api.Admin();
        var category = await admin.CreateCategoryAsync(CatalogSeed.Unique("stampede"));
        var product = await admin.CreateProductAsync(CatalogSeed.Product(categories: [category.Id]));
        await _client.GetAsync($"/api/v1/products/{product.Slug}");
        await ReserveAsync(product, 1);
        await HeardAsync(product, 9);
        var url = $"/api/v1/products?category={category.Slug}&sort=price_desc&limit=7";
        var queries = Cache.ListingQueries;

        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => _client.GetAsync(url)));

        Assert.All(responses, r => Assert.Equal(System.Net.HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(queries + 1, Cache.ListingQueries);
    }
}
