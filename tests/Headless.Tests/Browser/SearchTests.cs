using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Headless.Tests.Browser;

/// <summary>The header's search box: type-ahead as an accessible combobox, and typo-forgiving results.</summary>
[Collection(BrowserCollection.Name)]
public sealed class SearchTests(LiveShop shop)
{
    [Fact]
    public async Task A_search_with_a_one_letter_typo_finds_the_product()
    {
        var product = (await shop.ProductsAsync()).Where(p => p.InStock).Skip(3).First(p => LongestWord(p.Title).Length >= 6);
        var word = LongestWord(product.Title);
        // One letter swapped for another in the middle of the title's longest word.
        var middle = word.Length / 2;
        var typo = word[..middle] + (char.ToLowerInvariant(word[middle]) == 'x' ? 'q' : 'x') + word[(middle + 1)..];
        var query = product.Title.Replace(word, typo, StringComparison.Ordinal);

        var errors = new List<string>();
        var page = await shop.NewPageAsync(errors);
        try
        {
            await page.GotoAsync("/");
            var box = page.GetByRole(AriaRole.Combobox, new() { Name = "Search products" });
            await Expect(box).ToHaveAttributeAsync("aria-expanded", "false");

            // Type-ahead on the start of the title: the product is offered; arrows move, Escape closes.
            var space = product.Title.IndexOf(' ', StringComparison.Ordinal);
            await box.PressSequentiallyAsync(product.Title[..Math.Min(product.Title.Length, space > 0 ? space + 3 : 5)]);
            await Expect(box).ToHaveAttributeAsync("aria-expanded", "true");
            var list = page.GetByRole(AriaRole.Listbox, new() { Name = "Suggestions" });
            await Expect(list.GetByRole(AriaRole.Option).First).ToBeVisibleAsync();
            await box.PressAsync("ArrowDown");
            var first = await list.GetByRole(AriaRole.Option).First.GetAttributeAsync("id");
            await Expect(box).ToHaveAttributeAsync("aria-activedescendant", first!);
            await Expect(list.GetByRole(AriaRole.Option).First).ToHaveAttributeAsync("aria-selected", "true");
            await box.PressAsync("Escape");
            await Expect(box).ToHaveAttributeAsync("aria-expanded", "false");
            await Expect(list).ToBeHiddenAsync();

            // The whole title with the typo, submitted: the results page corrects it and lists the product.
            await box.FillAsync(query);
            await box.PressAsync("Enter");
            await Expect(page).ToHaveURLAsync(new Regex(@"/search/\?q="));
            await Expect(page.Locator("[data-search-summary]")).ToContainTextAsync("result");
            await Expect(page.Locator(".note")).ToContainTextAsync($"you typed “{query}”");
            await Expect(page.Locator($"[data-results] a[href='/products/{product.Slug}/']")).ToBeVisibleAsync();

            // A facet refines the results (and says so), and the page's own search box holds the query.
            var facet = page.Locator(".facets a").First;
            await facet.ClickAsync();
            await Expect(page.Locator(".facets a[aria-current=true]")).ToHaveCountAsync(1);
            await Expect(page.Locator("#search-q")).ToHaveValueAsync(query);
            Assert.Empty(errors);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Load_more_appends_the_next_page_through_the_cursor()
    {
        var page = await shop.NewPageAsync();
        try
        {
            await page.GotoAsync("/search/?inStock=true&sort=price_asc");
            await Expect(page.Locator("[data-results] li")).ToHaveCountAsync(24);
            await page.GetByRole(AriaRole.Button, new() { Name = "Load more" }).ClickAsync();
            await Expect(page.Locator("[data-results] li")).ToHaveCountAsync(48);
            var hrefs = await page.Locator("[data-results] li a").EvaluateAllAsync<string[]>("els => els.map(a => a.getAttribute('href'))");
            Assert.Equal(hrefs.Length, hrefs.Distinct().Count());
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task A_total_past_the_cap_shows_as_a_lower_bound()
    {
        var page = await shop.NewPageAsync();
        try
        {
            // Every active demo product (200) has a price of 0 or more: more than the shop's cap of 150.
            await page.GotoAsync("/search/?minPrice=0");
            await Expect(page.Locator("[data-search-summary]")).ToHaveTextAsync($"{LiveShop.TotalCap}+ results");
            await Expect(page.Locator("[data-results] li")).ToHaveCountAsync(24);
            // Under the cap the count is exact.
            await page.GotoAsync("/search/?minPrice=0&maxPrice=500");
            await Expect(page.Locator("[data-search-summary]")).ToHaveTextAsync(new Regex(@"^\d+ results?$"));
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    private static string LongestWord(string title) =>
        title.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => w.All(char.IsLetter)).OrderByDescending(w => w.Length).FirstOrDefault() ?? "";
}
