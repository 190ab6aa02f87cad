using System.Text;
using Headless.Api.Platform.Caching;

namespace Headless.Tests.Catalog;

/// <summary>The listing cache on its own: single flight, the stale bound and which pages a change alters.</summary>
public sealed class ListingCacheTests
{
    private sealed class ManualClock : TimeProvider
    {
        private long _now = 1_000_000;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Interlocked.Read(ref _now);
        public void Advance(TimeSpan by) => Interlocked.Add(ref _now, by.Ticks);
    }

    private static readonly Guid Listed = Guid.NewGuid();

    private static ListingFill Page(string text, ListingPageInfo? info = null) =>
        new(new CachedBody(Encoding.UTF8.GetBytes(text)), info ?? Info(sort: "newest", ids: [Listed]));

    private static ListingPageInfo Info(string? category = null, bool inStockOnly = false, string sort = "newest",
        long? from = null, long? through = null, long? minPrice = null, long? maxPrice = null, params Guid[] ids) =>
        new(category, minPrice, maxPrice, inStockOnly, sort, from, through, ids.ToHashSet());

    private static ListingChange Change(Guid id, ListingChangeKinds kinds, bool inStock = true, long micros = 500, long price = 1000,
        bool listed = true, params string[] scope) =>
        new(id, kinds, listed, inStock, micros, price, scope.ToHashSet());

    private static string Text(CachedBody body) => Encoding.UTF8.GetString(body.Utf8Json);

    [Fact]
    public async Task A_stampede_of_200_concurrent_misses_for_one_page_runs_the_query_once()
    {
        var cache = new CatalogCache();
        var release = new TaskCompletionSource();
        var started = 0;
        var calls = Enumerable.Range(0, 200).Select(_ => Task.Run(() => cache.FillListingAsync("k", async () =>
        {
            Interlocked.Increment(ref started);
            await release.Task;
            return Page("one");
        }))).ToList();
        // Every caller is either waiting on the flight or has not reached the cache yet; let the query finish
        // only when all 200 have asked (each one that asked before the end joined the one flight).
        while (cache.ListingQueries == 0)
        {
            await Task.Yield();
        }
        release.SetResult();
        var results = await Task.WhenAll(calls);

        Assert.Equal(1, started);
        Assert.Equal(1, cache.ListingQueries);
        Assert.All(results, r => Assert.Equal("one", Text(r!.Body)));
        Assert.True(cache.TryGetListing("k", out _));
    }

    [Fact]
    public async Task A_dropped_page_is_served_stale_only_while_a_refresh_runs_and_never_past_the_bound()
    {
        var clock = new ManualClock();
        var cache = new CatalogCache(listingStaleFor: TimeSpan.FromSeconds(2), clock: clock);
        await cache.FillListingAsync("k", () => Task.FromResult<ListingFill?>(Page("old")));

        cache.ApplyListingChange(Change(Listed, ListingChangeKinds.Stock, inStock: false));
        // No refresh running: the next reader must query (it gets the fresh page, no stale one).
        Assert.False(cache.TryGetListing("k", out _));

        var release = new TaskCompletionSource();
        var refresh = cache.FillListingAsync("k", async () =>
        {
            await release.Task;
            return Page("new");
        });
        while (cache.ListingQueries < 2)
        {
            await Task.Yield();
        }
        clock.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.True(cache.TryGetListing("k", out var stale));
        Assert.Equal("old", Text(stale));
        clock.Advance(TimeSpan.FromMilliseconds(2));
        Assert.False(cache.TryGetListing("k", out _));

        release.SetResult();
        await refresh;
        Assert.True(cache.TryGetListing("k", out var fresh));
        Assert.Equal("new", Text(fresh));
    }

    [Fact]
    public async Task A_fill_whose_query_raced_a_change_to_its_page_is_not_stored()
    {
        var cache = new CatalogCache();
        var release = new TaskCompletionSource();
        var fill = cache.FillListingAsync("k", async () =>
        {
            await release.Task;
            return Page("before the change");
        });
        while (cache.ListingQueries == 0)
        {
            await Task.Yield();
        }
        cache.ApplyListingChange(Change(Listed, ListingChangeKinds.Price));
        release.SetResult();
        await fill;
        Assert.False(cache.TryGetListing("k", out _));
    }

    [Fact]
    public async Task Only_the_pages_a_change_alters_are_dropped()
    {
        var cache = new CatalogCache(listingStaleFor: TimeSpan.Zero);
        var x = Guid.NewGuid();
        var other = Guid.NewGuid();
        var pages = new Dictionary<string, ListingPageInfo>
        {
            ["lists-x"] = Info(category: "shoes", ids: [x, other]),
            ["shoes-in-stock"] = Info(category: "shoes", inStockOnly: true, ids: [other]),
            ["shoes-in-stock-older"] = Info(category: "shoes", inStockOnly: true, from: 400, through: 300, ids: [other]),
            ["hats"] = Info(category: "hats", ids: [other]),
            ["hats-in-stock"] = Info(category: "hats", inStockOnly: true, ids: [other]),
            ["all-title"] = Info(sort: "title", ids: [other]),
            ["cheap-in-stock"] = Info(inStockOnly: true, sort: "price_asc", maxPrice: 500, ids: [other]),
        };
        async Task FillAllAsync()
        {
            foreach (var (key, info) in pages)
            {
                await cache.FillListingAsync(key, () => Task.FromResult<ListingFill?>(Page(key, info)));
            }
        }
        IEnumerable<string> Dropped() => pages.Keys.Where(k => !cache.TryGetListing(k, out _)).Order(StringComparer.Ordinal);

        await FillAllAsync();
        // Sold out: it leaves the pages listing it; no other page can change.
        cache.ApplyListingChange(Change(x, ListingChangeKinds.Stock, inStock: false, scope: ["shoes", "clothing"]));
        Assert.Equal(["lists-x"], Dropped());

        await FillAllAsync();
        // Back in stock: it can enter the in-stock view of its category whose stretch of the order holds its key.
        cache.ApplyListingChange(Change(x, ListingChangeKinds.Stock, inStock: true, micros: 500, scope: ["shoes", "clothing"]));
        Assert.Equal(["lists-x", "shoes-in-stock"], Dropped());

        await FillAllAsync();
        // A card-only edit (image, slug, tags) matters only where the product is shown.
        cache.ApplyListingChange(Change(x, ListingChangeKinds.Card, scope: ["shoes"]));
        Assert.Equal(["lists-x"], Dropped());

        await FillAllAsync();
        // A title edit may move it in any title-sorted page its filters admit.
        cache.ApplyListingChange(Change(x, ListingChangeKinds.Title, scope: ["shoes"]));
        Assert.Equal(["all-title", "lists-x"], Dropped());

        await FillAllAsync();
        // Moved from shoes to hats: the notifications carry the old and the new categories.
        cache.ApplyListingChange(Change(x, ListingChangeKinds.Membership, micros: 350, price: 2000, scope: ["shoes"]));
        cache.ApplyListingChange(Change(x, ListingChangeKinds.Membership, micros: 350, price: 2000, scope: ["hats"]));
        Assert.Equal(["all-title", "hats", "hats-in-stock", "lists-x", "shoes-in-stock", "shoes-in-stock-older"], Dropped());
    }

    [Fact]
    public void Listing_notifications_parse_and_bad_ones_are_refused()
    {
        var id = Guid.NewGuid();
        Assert.True(ListingChange.TryParse(
            $$"""{"id":"{{id}}","what":["stock","price"],"listed":true,"inStock":false,"micros":123,"price":990,"scope":["a","b"]}""", out var change));
        Assert.Equal(id, change.ProductId);
        Assert.Equal(ListingChangeKinds.Stock | ListingChangeKinds.Price, change.Kinds);
        Assert.False(change.InStock);
        Assert.Equal(990, change.Price);
        Assert.Equal(["a", "b"], change.Scope.Order());
        Assert.False(ListingChange.TryParse("{\"id\":\"nope\"}", out _));
        Assert.False(ListingChange.TryParse("not json", out _));
    }
}
