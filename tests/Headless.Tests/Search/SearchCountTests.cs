using Headless.Api.Features.Search;
using Headless.Tests.Email;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Headless.Tests.Search;

/// <summary>The real PostgreSQL engine behind a counter of its count statements (and a gate that can hold
/// them), a total capped at 3, a facet sample of 2, and a count cache on a clock the test moves.</summary>
public sealed class CountCacheApiFactory : ApiFactory
{
    public const int TotalCap = 3;
    public const int FacetSample = 2;
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(3);

    public FakeTimeProvider Clock { get; } = new();

    public CountingSearchEngine Engine => Services.GetRequiredService<CountingSearchEngine>();

    public SearchCountCache Cache => Services.GetRequiredService<SearchCountCache>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Headless:Search:TotalCap", TotalCap.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Headless:Search:FacetSample", FacetSample.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Headless:Search:CountCacheTtl", Ttl.ToString());
        // Every concurrent search in at once: the single-flight test needs all 20 inside, not 8 and a queue.
        builder.UseSetting("Headless:Search:MaxConcurrentSearches", "64");
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<PostgresSearchEngine>();
            services.AddSingleton(sp => new CountingSearchEngine(sp.GetRequiredService<PostgresSearchEngine>()));
            services.AddSingleton<ISearchEngine>(sp => sp.GetRequiredService<CountingSearchEngine>());
            services.AddSingleton(sp => new SearchCountCache(sp.GetRequiredService<ISearchEngine>(), sp.GetRequiredService<IOptions<SearchOptions>>(), Clock));
        });
    }
}

/// <summary>Counts the count statements the real engine runs; <see cref="Gate"/>, when set, holds each count until released.</summary>
public sealed class CountingSearchEngine(ISearchEngine inner) : ISearchEngine
{
    private int _counts;

    public int Counts => Volatile.Read(ref _counts);

    public TaskCompletionSource? Gate { get; set; }

    public string Name => inner.Name;

    public Task<EngineResult> SearchAsync(SearchQuery query, int take, CancellationToken ct) => inner.SearchAsync(query, take, ct);

    public async Task<EngineCounts> CountAsync(SearchQuery query, CancellationToken ct)
    {
        Interlocked.Increment(ref _counts);
        if (Gate is { } gate)
        {
            await gate.Task;
        }
        return await inner.CountAsync(query, ct);
    }

    public Task<EngineSuggestions> SuggestAsync(IReadOnlyList<string> words, int limit, CancellationToken ct) => inner.SuggestAsync(words, limit, ct);
}

/// <summary>The bounded total (issue 17, item 3) and the per-query count cache. Every test uses its own invented word.</summary>
public sealed class SearchCountTests(CountCacheApiFactory api) : IClassFixture<CountCacheApiFactory>
{
    /// <summary>Creates the products and waits until a search lists all of them (items are never cached), then
    /// moves the clock past the cache's TTL so the next search counts afresh.</summary>
    private async Task<List<Guid>> IndexedAsync(HttpClient admin, string word, int count)
    {
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            ids.Add((await admin.CreateAsync($"{word} Bowl {i}", "A bowl.")).Id);
        }
        var all = await SearchKit.EventuallyAsync(() => admin.SearchAsync($"q={word}&sort=newest&limit=100"), r => r.Items.Count == count);
        Assert.Equal(count, all.Items.Count);
        api.Clock.Advance(CountCacheApiFactory.Ttl + TimeSpan.FromSeconds(1));
        return ids;
    }

    [Fact]
    public async Task More_matches_than_the_cap_answer_the_cap_as_a_lower_bound_and_page_past_it()
    {
        var admin = api.Admin();
        var ids = await IndexedAsync(admin, "quorrimel", 5);

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await admin.SearchAsync("q=quorrimel&sort=newest&limit=2" + (cursor is null ? "" : "&cursor=" + cursor));
            Assert.Equal(CountCacheApiFactory.TotalCap, page.Total);
            Assert.True(page.TotalIsLowerBound);
            seen.AddRange(page.Items.Select(i => i.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        Assert.Equal(ids.Order(), seen.Order());
    }

    [Fact]
    public async Task Fewer_matches_than_the_cap_are_counted_exactly_with_exact_facets()
    {
        var admin = api.Admin();
        await IndexedAsync(admin, "vendrillo", 2);

        var results = await admin.SearchAsync("q=vendrillo&facets=true");
        Assert.Equal(2, results.Total);
        Assert.False(results.TotalIsLowerBound);
        Assert.False(results.Facets!.Estimated);
        Assert.Equal(2, results.Facets.Availability.InStock + results.Facets.Availability.SoldOut);
    }

    [Fact]
    public async Task A_capped_total_leaves_the_facets_as_the_samples_own_counts_marked_estimated()
    {
        var admin = api.Admin();
        await IndexedAsync(admin, "sprandolin", 5);

        var results = await admin.SearchAsync("q=sprandolin&facets=true");
        Assert.Equal(CountCacheApiFactory.TotalCap, results.Total);
        Assert.True(results.TotalIsLowerBound);
        Assert.True(results.Facets!.Estimated);
        // Not scaled up to the capped total (that would be 3): the sample's counts, each a lower bound.
        Assert.Equal(CountCacheApiFactory.FacetSample, results.Facets.Availability.InStock + results.Facets.Availability.SoldOut);
        Assert.Equal(CountCacheApiFactory.FacetSample, results.Facets.PriceBands.Sum(b => b.Count));
    }

    [Fact]
    public async Task Counts_are_reused_for_the_same_words_and_filters_until_they_expire()
    {
        var admin = api.Admin();
        await IndexedAsync(admin, "trallomir", 2);
        var before = api.Engine.Counts;

        var first = await admin.SearchAsync("q=trallomir");
        Assert.Equal(2, first.Total);
        Assert.Equal(before + 1, api.Engine.Counts);

        // Another sort and page size: the same words and filters, so the same counts, and no count statement.
        var again = await admin.SearchAsync("q=trallomir&sort=price_asc&limit=1");
        Assert.Equal(2, again.Total);
        Assert.Equal(before + 1, api.Engine.Counts);

        // A filter makes another key.
        var filtered = await admin.SearchAsync("q=trallomir&minPrice=1");
        Assert.Equal(2, filtered.Total);
        Assert.Equal(before + 2, api.Engine.Counts);
        await admin.SearchAsync("q=trallomir&facets=true");
        Assert.Equal(before + 3, api.Engine.Counts);

        // Just before the TTL it is still served; at the TTL it is counted again.
        api.Clock.Advance(CountCacheApiFactory.Ttl - TimeSpan.FromMilliseconds(1));
        await admin.SearchAsync("q=trallomir");
        Assert.Equal(before + 3, api.Engine.Counts);
        api.Clock.Advance(TimeSpan.FromMilliseconds(1));
        var expired = await admin.SearchAsync("q=trallomir");
        Assert.Equal(2, expired.Total);
        Assert.Equal(before + 4, api.Engine.Counts);
    }

    [Fact]
    public async Task Concurrent_misses_for_one_search_count_once()
    {
        var admin = api.Admin();
        await IndexedAsync(admin, "glimmerwick", 4);
        const int requests = 20;
        var before = api.Engine.Counts;
        var sharedBefore = api.Cache.Stats.Shared;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        api.Engine.Gate = gate;
        try
        {
            var searches = Enumerable.Range(0, requests).Select(i => admin.SearchAsync($"q=glimmerwick&limit={i + 1}")).ToList();
            // The first count is held at the gate: every other request must join it rather than count.
            await Eventually.WaitUntilAsync(() => api.Cache.Stats.Shared - sharedBefore == requests - 1, TimeSpan.FromSeconds(20),
                "every other request waits for the first one's count");
            gate.SetResult();
            var results = await Task.WhenAll(searches);
            Assert.All(results, r => Assert.Equal(CountCacheApiFactory.TotalCap, r.Total));
            Assert.Equal(before + 1, api.Engine.Counts);
        }
        finally
        {
            api.Engine.Gate = null;
            gate.TrySetResult();
        }
    }

    [Fact]
    public async Task A_page_with_more_rows_than_the_cached_total_is_recounted()
    {
        var admin = api.Admin();
        var none = await admin.SearchAsync("q=plimsquorth");
        Assert.Equal(0, none.Total);

        // The clock stands still, so the cached 0 would never expire: only the page's evidence can renew it.
        var product = await admin.CreateAsync("Plimsquorth Ladle", "A ladle.");
        var found = await admin.UntilFoundAsync("q=plimsquorth", product.Id);
        Assert.Equal(1, found.Total);
        Assert.False(found.TotalIsLowerBound);
    }
}
