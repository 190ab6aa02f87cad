using System.Diagnostics;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;
using Headless.Contracts.Search;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Search;

/// <summary>Helpers shared by the search tests: make products with chosen words, search, wait for the
/// indexer with a deadline (never a fixed sleep).</summary>
public static class SearchKit
{
    public static async Task<SearchResults> SearchAsync(this HttpClient client, string query)
    {
        var response = await client.GetAsync("/api/v1/search?" + query);
        return await response.ReadAsync<SearchResults>();
    }

    public static Task<ProductDetail> CreateAsync(this HttpClient admin, string title, string description = "A plain thing.",
        string status = "active", int stock = 10, long price = 1500, List<string>? tags = null, List<Guid>? categories = null,
        params CreateVariantRequest[] variants) =>
        admin.CreateProductAsync(new CreateProductRequest(CatalogSeed.Unique("p"), title, description, status,
            [new ImageInput("/images/x.jpg", title, 800, 800)], tags ?? [], false, categories ?? [],
            variants.Length > 0 ? [.. variants] : [CatalogSeed.Variant(price: price, stock: stock)]));

    /// <summary>How long a change may take to reach the index in a test: generous, because the full suite loads 2 cores
    /// (load average 9) and the indexer's round waits its turn with everything else; a change that never arrives still fails.</summary>
    public static readonly TimeSpan IndexedWithin = TimeSpan.FromSeconds(20);

    /// <summary>Polls until <paramref name="done"/> holds or the deadline passes; returns the last value either way.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan? within = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = within ?? TimeSpan.FromSeconds(10);
        while (true)
        {
            var value = await read();
            if (done(value) || deadline.Elapsed > limit)
            {
                return value;
            }
            await Task.Delay(20);
        }
    }

    /// <summary>Searches until the product is found (i.e. indexed), failing after the deadline.</summary>
    public static async Task<SearchResults> UntilFoundAsync(this HttpClient client, string query, Guid productId)
    {
        var results = await EventuallyAsync(() => client.SearchAsync(query), r => r.Items.Any(i => i.Id == productId));
        Assert.True(results.Items.Any(i => i.Id == productId), $"product {productId} not found by '{query}' within the deadline");
        return results;
    }

    public static string Titles(this SearchResults results) => string.Join(" | ", results.Items.Select(i => i.Title));
}
