using System.Net;
using Dapper;
using Headless.Contracts.Admin;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Search;

/// <summary>Relevance and visibility on the PostgreSQL engine, with products made for each case (every
/// test uses its own invented words, so tests in the class never see each other's products).</summary>
public sealed class SearchRelevanceTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task An_exact_title_match_ranks_above_a_description_match()
    {
        var admin = api.Admin();
        var inDescription = await admin.CreateAsync("Garden Trowel", "Pairs well with our quillowick planter.");
        var inTitle = await admin.CreateAsync("Quillowick Planter", "A pot for herbs.");
        var results = await SearchKit.EventuallyAsync(() => admin.SearchAsync("q=quillowick"), r => r.Total == 2);
        Assert.Equal([inTitle.Id, inDescription.Id], results.Items.Select(i => i.Id));
    }

    [Fact]
    public async Task A_one_letter_typo_still_finds_the_product_and_says_it_corrected()
    {
        var admin = api.Admin();
        var product = await admin.CreateAsync("Marzipanello Soap Bar");
        await admin.UntilFoundAsync("q=marzipanello", product.Id);

        foreach (var typo in new[] { "marzipanelo", "marzipenello", "marzipanellp" })
        {
            var results = await admin.SearchAsync("q=" + typo);
            Assert.True(results.Items.Any(i => i.Id == product.Id), $"'{typo}' did not find it: {results.Titles()}");
            Assert.True(results.Corrected);
            Assert.Equal("marzipanello", results.Query);
        }
    }

    [Fact]
    public async Task Accents_are_ignored_both_ways()
    {
        var admin = api.Admin();
        var accented = await admin.CreateAsync("Crème Brûlée Zestovan Candle");
        var plain = await admin.CreateAsync("Zestovan Creme Dish");
        await admin.UntilFoundAsync("q=zestovan", plain.Id);
        await admin.UntilFoundAsync("q=zestovan", accented.Id);

        var withoutAccents = await admin.SearchAsync("q=creme%20zestovan");
        var withAccents = await admin.SearchAsync("q=cr%C3%A8me%20zestovan");
        Assert.Equal([accented.Id, plain.Id], withoutAccents.Items.Select(i => i.Id).Order());
        Assert.Equal(withoutAccents.Items.Select(i => i.Id).Order(), withAccents.Items.Select(i => i.Id).Order());
        Assert.False(withAccents.Corrected);
    }

    [Fact]
    public async Task Plural_and_singular_find_the_same_products()
    {
        var admin = api.Admin();
        var singular = await admin.CreateAsync("Florinth Basket");
        var plural = await admin.CreateAsync("Set of Florinth Baskets");
        await admin.UntilFoundAsync("q=florinth", plural.Id);
        await admin.UntilFoundAsync("q=florinth", singular.Id);

        var bySingular = await admin.SearchAsync("q=florinth%20basket");
        var byPlural = await admin.SearchAsync("q=florinth%20baskets");
        Assert.Equal(2, bySingular.Items.Count);
        Assert.Equal(bySingular.Items.Select(i => i.Id).Order(), byPlural.Items.Select(i => i.Id).Order());
    }

    [Fact]
    public async Task Drafts_never_appear_and_archived_products_disappear()
    {
        var admin = api.Admin();
        var draft = await admin.CreateAsync("Ombrivale Draft Mug", status: "draft");
        var active = await admin.CreateAsync("Ombrivale Mug");
        var results = await admin.UntilFoundAsync("q=ombrivale", active.Id);
        Assert.DoesNotContain(results.Items, i => i.Id == draft.Id);
        Assert.Equal(1, results.Total);
        var suggestions = await (await admin.GetAsync("/api/v1/search/suggest?q=ombri")).ReadAsync<Contracts.Search.SearchSuggestions>();
        Assert.Equal([active.Id], suggestions.Products.Select(p => p.Id));

        (await admin.ArchiveProductAsync(active.Id)).EnsureSuccessStatusCode();
        // Gone at once: the live check drops archived products even before the indexer removes the document.
        var afterArchive = await admin.SearchAsync("q=ombrivale");
        Assert.Empty(afterArchive.Items);
        var indexed = await SearchKit.EventuallyAsync(() => admin.SearchAsync("q=ombrivale"), r => r.Total == 0);
        Assert.Equal(0, indexed.Total);
    }

    [Fact]
    public async Task In_stock_only_is_exact_right_after_a_sale_even_before_the_index_hears_of_it()
    {
        var admin = api.Admin();
        var lastOne = await admin.CreateAsync("Velquarine Scarf", stock: 1);
        var plenty = await admin.CreateAsync("Velquarine Gloves", stock: 50);
        await admin.UntilFoundAsync("q=velquarine&inStock=true", lastOne.Id);
        await admin.UntilFoundAsync("q=velquarine&inStock=true", plenty.Id);

        // The last unit is reserved by a checkout: a write straight to inventory with no outbox event,
        // so the index never learns of it; only the live check can hide the product.
        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            Assert.Equal(1, await conn.ExecuteAsync("update inventory set reserved = on_hand where sku = @sku", new { sku = lastOne.Variants[0].Sku }));
        }
        var inStockOnly = await admin.SearchAsync("q=velquarine&inStock=true");
        Assert.Equal([plenty.Id], inStockOnly.Items.Select(i => i.Id));
        var all = await admin.SearchAsync("q=velquarine");
        Assert.False(all.Items.Single(i => i.Id == lastOne.Id).InStock);
    }

    [Fact]
    public async Task In_stock_products_rank_above_sold_out_ones_at_equal_relevance()
    {
        var admin = api.Admin();
        // Same words, so the same text relevance; the sold-out one is created last (newest).
        var inStock = await admin.CreateAsync("Brindlecote Wool Hat", stock: 3);
        var soldOut = await admin.CreateAsync("Brindlecote Wool Hat", stock: 0);
        var results = await admin.UntilFoundAsync("q=brindlecote%20hat", soldOut.Id);
        Assert.Equal([inStock.Id, soldOut.Id], results.Items.Select(i => i.Id));

        foreach (var sort in new[] { "newest", "price_asc", "price_desc" })
        {
            var sorted = await admin.SearchAsync($"q=brindlecote&sort={sort}");
            Assert.Equal(inStock.Id, sorted.Items[0].Id);
        }

        // A sale restocks the sold-out one through the admin API: the indexer re-ranks it within a second.
        var restock = await admin.SetStockAsync(soldOut.Variants[0].Sku, new SetStockRequest(9, "restock"));
        Assert.Equal(HttpStatusCode.OK, restock.StatusCode);
        var rerankedNewestFirst = await SearchKit.EventuallyAsync(() => admin.SearchAsync("q=brindlecote&sort=newest"),
            r => r.Items.Count == 2 && r.Items[0].Id == soldOut.Id, SearchKit.IndexedWithin);
        Assert.Equal(soldOut.Id, rerankedNewestFirst.Items[0].Id);
    }

    [Fact]
    public async Task Pages_follow_the_cursor_without_gaps_or_repeats()
    {
        var admin = api.Admin();
        var made = new List<Guid>();
        for (var i = 0; i < 7; i++)
        {
            made.Add((await admin.CreateAsync($"Tollendrive Coaster {i}", price: 1000 + (i % 3 * 100), stock: i % 2)).Id);
        }
        await SearchKit.EventuallyAsync(() => admin.SearchAsync("q=tollendrive"), r => r.Total == 7);
        foreach (var sort in new[] { "relevance", "newest", "price_asc", "price_desc" })
        {
            var seen = new List<Guid>();
            string? cursor = null;
            do
            {
                var page = await admin.SearchAsync($"q=tollendrive&sort={sort}&limit=3" + (cursor is null ? "" : "&cursor=" + cursor));
                seen.AddRange(page.Items.Select(i => i.Id));
                cursor = page.NextCursor;
            }
            while (cursor is not null && seen.Count < 20);
            Assert.Equal(made.Order(), seen.Order());
            var inStockFlags = (await admin.SearchAsync($"q=tollendrive&sort={sort}&limit=7")).Items.Select(i => i.InStock).ToList();
            if (sort != "relevance")
            {
                Assert.Equal(inStockFlags.OrderByDescending(x => x), inStockFlags);
            }
        }
    }
}
