using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Headless.Tests.Search;

/// <summary>The PostgreSQL engine with a tiny rank pool and facet sample, so the bounds show on a handful of products.</summary>
public sealed class SmallSearchBoundsApiFactory : ApiFactory
{
    public const int RankPool = 2;
    public const int FacetSample = 3;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Headless:Search:RankPool", RankPool.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Headless:Search:FacetSample", FacetSample.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}

/// <summary>Two-stage relevance (a title-first candidate pool, ranked alone) and sampled facets (issue 17, item 3).
/// Every test uses its own invented word.</summary>
public sealed class SearchBoundsTests(SmallSearchBoundsApiFactory api) : IClassFixture<SmallSearchBoundsApiFactory>
{
    [Fact]
    public async Task Title_matches_rank_first_and_body_matches_top_up_a_pool_titles_do_not_fill()
    {
        var admin = api.Admin();
        var bodyOnly = await admin.CreateAsync("Stoneware Mug", "Glazed like our brindlequax jug.");
        var inTitle = await admin.CreateAsync("Brindlequax Jug", "A jug.");
        var results = await SearchKit.EventuallyAsync(() => admin.SearchAsync("q=brindlequax"), r => r.Total == 2);

        Assert.Equal([inTitle.Id, bodyOnly.Id], results.Items.Select(i => i.Id));
    }

    [Fact]
    public async Task When_titles_fill_the_pool_relevance_ranks_the_pool_only_while_the_total_and_other_sorts_stay_exact()
    {
        var admin = api.Admin();
        var bodyOnly = await admin.CreateAsync("Linen Napkin", "Matches the florvendish runner.");
        var titled = new List<Guid>();
        for (var i = 0; i < SmallSearchBoundsApiFactory.RankPool + 1; i++)
        {
            titled.Add((await admin.CreateAsync($"Florvendish Runner {i}", "A runner.")).Id);
        }
        var results = await SearchKit.EventuallyAsync(() => admin.SearchAsync("q=florvendish"), r => r.Total == titled.Count + 1);

        Assert.Equal(titled.Count + 1, results.Total);
        Assert.Equal(SmallSearchBoundsApiFactory.RankPool, results.Items.Count);
        Assert.All(results.Items, i => Assert.Contains(i.Id, titled));
        Assert.DoesNotContain(results.Items, i => i.Id == bodyOnly.Id);
        Assert.Null(results.NextCursor);

        var newest = await admin.SearchAsync("q=florvendish&sort=newest");
        Assert.Equal(titled.Append(bodyOnly.Id).Order(), newest.Items.Select(i => i.Id).Order());
    }

    [Fact]
    public async Task Facets_are_exact_when_the_result_fits_the_sample_and_scaled_and_marked_estimated_when_not()
    {
        var admin = api.Admin();
        for (var i = 0; i < SmallSearchBoundsApiFactory.FacetSample; i++)
        {
            await admin.CreateAsync($"Quorbelline Tray {i}", price: 1200);
        }
        var exact = await SearchKit.EventuallyAsync(() => admin.SearchAsync("q=quorbelline&facets=true"), r => r.Total == SmallSearchBoundsApiFactory.FacetSample);
        Assert.False(exact.Facets!.Estimated);
        Assert.Equal(3, exact.Facets.Availability.InStock);
        Assert.Equal(0, exact.Facets.Availability.SoldOut);
        Assert.Equal(3, exact.Facets.PriceBands.Single(b => b.Key == "10-25").Count);

        for (var i = 0; i < 3; i++)
        {
            await admin.CreateAsync($"Quorbelline Bowl {i}", price: 1200);
        }
        var sampled = await SearchKit.EventuallyAsync(() => admin.SearchAsync("q=quorbelline&facets=true"), r => r.Total == 6);
        Assert.Equal(6, sampled.Total);
        Assert.True(sampled.Facets!.Estimated);
        // Every match is in stock at 12.00: the sample's 3 of each, scaled to the total of 6.
        Assert.Equal(6, sampled.Facets.Availability.InStock);
        Assert.Equal(6, sampled.Facets.PriceBands.Single(b => b.Key == "10-25").Count);
        Assert.Equal(0, sampled.Facets.PriceBands.Where(b => b.Key != "10-25").Sum(b => b.Count));
    }
}
