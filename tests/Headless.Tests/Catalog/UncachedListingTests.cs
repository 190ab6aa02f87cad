using System.Net;
using Headless.Contracts.Catalog;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Headless.Tests.Catalog;

/// <summary>The API with the read cache off: every listing request runs its query.</summary>
public sealed class UncachedApiFactory : ApiFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Headless:Catalog:ReadCache", "false");
    }
}

/// <summary>The uncached listing path (issue 17, item 2): one keyset statement per page, the category's slug
/// resolved inside it.</summary>
public sealed class UncachedListingTests(UncachedApiFactory api) : IClassFixture<UncachedApiFactory>
{
    private async Task<List<ProductSummary>> ReadAllAsync(HttpClient client, string query, int limit)
    {
        var all = new List<ProductSummary>();
        string? cursor = null;
        do
        {
            var page = await (await client.GetAsync($"/api/v1/products?limit={limit}&{query}" + (cursor is null ? "" : $"&cursor={cursor}"))).ReadAsync<ProductPage>();
            all.AddRange(page.Items);
            cursor = page.NextCursor;
        } while (cursor is not null);
        return all;
    }

    [Theory]
    [InlineData("price_asc")]
    [InlineData("price_desc")]
    [InlineData("title")]
    [InlineData("newest")]
    public async Task Keyset_pages_of_a_category_are_stable_when_sort_keys_are_equal(string sort)
    {
        var admin = api.Admin();
        var category = await admin.CreateCategoryAsync(CatalogSeed.Unique("equal-keys"));
        var ids = new List<Guid>();
        for (var i = 0; i < 7; i++)
        {
            // Same price and title for all: only the id breaks the tie.
            var request = CatalogSeed.Product(categories: [category.Id], variants: CatalogSeed.Variant(price: 990)) with { Title = "Same Title" };
            ids.Add((await admin.CreateProductAsync(request)).Id);
        }
        var client = api.CreateClient();

        var all = await ReadAllAsync(client, $"sort={sort}&category={category.Slug}", limit: 2);

        Assert.Equal(ids.Order(), all.Select(p => p.Id).Order());
        var expected = sort switch
        {
            "price_desc" => all.OrderByDescending(p => p.PriceFrom!.Amount).ThenByDescending(p => p.Id),
            "newest" => all.OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id),
            _ => all.OrderBy(p => p.PriceFrom!.Amount).ThenBy(p => p.Title, StringComparer.Ordinal).ThenBy(p => p.Id),
        };
        Assert.Equal(expected.Select(p => p.Id), all.Select(p => p.Id));
        // The same walk again gives the same pages.
        Assert.Equal(all.Select(p => p.Id), (await ReadAllAsync(client, $"sort={sort}&category={category.Slug}", limit: 2)).Select(p => p.Id));
    }

    [Fact]
    public async Task An_unknown_category_is_a_400_and_an_empty_one_an_empty_page()
    {
        var admin = api.Admin();
        var empty = await admin.CreateCategoryAsync(CatalogSeed.Unique("empty"));
        var client = api.CreateClient();

        var unknown = await client.GetAsync("/api/v1/products?category=no-such-category-here");
        var problem = await unknown.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("no-such-category-here", problem.ToJsonString(), StringComparison.Ordinal);

        var page = await (await client.GetAsync($"/api/v1/products?category={empty.Slug}&inStock=true")).ReadAsync<ProductPage>();
        Assert.Empty(page.Items);
        Assert.Null(page.NextCursor);
    }
}
