using Headless.Contracts.Search;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Search;

/// <summary>Facets over the 200-product demo catalog: every count equals the total of the search
/// filtered to that value, and the filtered results honour the filter.</summary>
public sealed class SearchFacetTests(DemoApiFactory api) : IClassFixture<DemoApiFactory>
{
    private async Task<SearchResults> IndexedAsync(HttpClient client, string query)
    {
        // The demo catalog is indexed by the indexer after start (catalog.loaded): wait for it.
        var results = await SearchKit.EventuallyAsync(() => client.SearchAsync(query), r => r.Total > 0);
        Assert.True(results.Total > 0, "the demo catalog was not indexed in time");
        return results;
    }

    [Theory]
    [InlineData("facets=true")]
    [InlineData("q=organic&facets=true")]
    [InlineData("q=bamboo&facets=true&inStock=true")]
    public async Task Facet_counts_agree_with_the_filtered_results(string baseQuery)
    {
        var client = api.CreateClient();
        var all = await IndexedAsync(client, baseQuery);
        var facets = all.Facets!;
        Assert.Equal(all.Total, facets.Availability.InStock + facets.Availability.SoldOut);
        Assert.Equal(all.Total, facets.PriceBands.Sum(b => b.Count));
        Assert.NotEmpty(facets.Categories);
        Assert.NotEmpty(facets.Options);

        foreach (var category in facets.Categories.Take(6))
        {
            var filtered = await client.SearchAsync($"{baseQuery}&category={category.Slug}&limit=100");
            Assert.True(category.Count == filtered.Total, $"category {category.Slug}: facet {category.Count}, results {filtered.Total}");
        }
        foreach (var option in facets.Options.Take(6))
        {
            var filtered = await client.SearchAsync($"{baseQuery}&option={Uri.EscapeDataString(option.Name + ":" + option.Value)}&limit=100");
            Assert.True(option.Count == filtered.Total, $"option {option.Name}={option.Value}: facet {option.Count}, results {filtered.Total}");
        }
        foreach (var band in facets.PriceBands.Where(b => b.Count > 0))
        {
            var range = (band.MinPrice is { } min ? $"&minPrice={min}" : "") + (band.MaxPrice is { } max ? $"&maxPrice={max - 1}" : "");
            var filtered = await client.SearchAsync($"{baseQuery}{range}&limit=100");
            Assert.True(band.Count == filtered.Total, $"price band {band.Key}: facet {band.Count}, results {filtered.Total}");
            Assert.All(filtered.Items, i => Assert.InRange(i.PriceFrom!.Amount, band.MinPrice ?? 0, (band.MaxPrice ?? long.MaxValue) - 1));
        }
        var inStock = await client.SearchAsync($"{baseQuery}{(baseQuery.Contains("inStock", StringComparison.Ordinal) ? "" : "&inStock=true")}&limit=100");
        Assert.Equal(facets.Availability.InStock, inStock.Total);
        Assert.All(inStock.Items, i => Assert.True(i.InStock));
    }

    [Fact]
    public async Task A_category_filter_includes_sub_categories_and_only_them()
    {
        var client = api.CreateClient();
        var all = await IndexedAsync(client, "facets=true&limit=100");
        var parent = all.Facets!.Categories.First(c => c.ParentSlug is null && all.Facets.Categories.Any(s => s.ParentSlug == c.Slug));
        var children = all.Facets.Categories.Where(c => c.ParentSlug == parent.Slug).ToList();
        var inParent = await client.SearchAsync($"category={parent.Slug}&facets=true&limit=100");
        Assert.Equal(parent.Count, inParent.Total);
        Assert.True(children.Sum(c => c.Count) >= parent.Count, "every product of a parent sits in one of its children in the demo tree");
        Assert.All(inParent.Facets!.Categories.Where(c => c.ParentSlug == parent.Slug), c =>
            Assert.Equal(children.Single(x => x.Slug == c.Slug).Count, c.Count));
    }

    [Fact]
    public async Task Options_of_one_name_are_alternatives_and_different_names_must_all_match()
    {
        var client = api.CreateClient();
        var all = await IndexedAsync(client, "facets=true");
        var byName = all.Facets!.Options.GroupBy(o => o.Name).Where(g => g.Count() >= 2).First();
        var (a, b) = (byName.ElementAt(0), byName.ElementAt(1));
        var either = await client.SearchAsync($"option={Uri.EscapeDataString($"{a.Name}:{a.Value}")}&option={Uri.EscapeDataString($"{b.Name}:{b.Value}")}");
        Assert.True(either.Total >= Math.Max(a.Count, b.Count) && either.Total <= a.Count + b.Count);
    }

    [Fact]
    public async Task Suggestions_complete_words_and_name_products_and_categories()
    {
        var client = api.CreateClient();
        await IndexedAsync(client, "q=bamboo");
        var response = await client.GetAsync("/api/v1/search/suggest?q=bamb");
        var suggestions = await response.ReadAsync<SearchSuggestions>();
        Assert.Contains("bamboo", suggestions.Queries);
        Assert.NotEmpty(suggestions.Products);
        Assert.All(suggestions.Products, p => Assert.Contains("bamboo", p.Title, StringComparison.OrdinalIgnoreCase));

        var twoWords = await (await client.GetAsync("/api/v1/search/suggest?q=bamboo%20tooth")).ReadAsync<SearchSuggestions>();
        Assert.Contains(twoWords.Queries, q => q.StartsWith("bamboo tooth", StringComparison.Ordinal));
        Assert.All(twoWords.Products, p => Assert.Contains("toothbrush", p.Title, StringComparison.OrdinalIgnoreCase));

        var categories = await (await client.GetAsync("/api/v1/search/suggest?q=kitch")).ReadAsync<SearchSuggestions>();
        Assert.Contains(categories.Categories, c => c.Name.StartsWith("Kitchen", StringComparison.Ordinal));
    }
}
