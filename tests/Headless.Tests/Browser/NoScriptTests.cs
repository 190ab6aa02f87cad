using static Microsoft.Playwright.Assertions;

namespace Headless.Tests.Browser;

/// <summary>The static pages carry their content: with JavaScript off a shopper still reads and browses.</summary>
[Collection(BrowserCollection.Name)]
public sealed class NoScriptTests(LiveShop shop)
{
    [Fact]
    public async Task A_product_page_shows_title_price_and_description_without_javascript()
    {
        var product = await shop.ProductAsync((await shop.ProductsAsync()).First(p => p.InStock).Slug);
        var page = await shop.NewPageAsync(javaScript: false);
        try
        {
            await page.GotoAsync($"/products/{product.Slug}/");
            await Expect(page.Locator("h1")).ToHaveTextAsync(product.Title);
            await Expect(page.Locator("[data-price]")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"\d+\.\d{2}"));
            var firstParagraph = product.Description.Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0];
            await Expect(page.Locator(".description p").First).ToHaveTextAsync(firstParagraph);
            await Expect(page.Locator("[data-add-button]")).ToBeVisibleAsync();
            // Without the widget nothing touched the page: it is exactly what the generator wrote.
            Assert.Null(await page.Locator("[data-widget=product]").GetAttributeAsync("data-live"));

            // The header search form still submits to the search page.
            await page.Locator("header input[name=q]").FillAsync("linen");
            await page.Locator("header input[name=q]").PressAsync("Enter");
            await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"/search/\?q=linen$"));
            await Expect(page.Locator("noscript, .note").Filter(new() { HasText = "need JavaScript" }).First).ToBeAttachedAsync();
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Home_and_category_pages_list_products_without_javascript()
    {
        var page = await shop.NewPageAsync(javaScript: false);
        try
        {
            await page.GotoAsync("/");
            await Expect(page.Locator("h1")).ToHaveTextAsync("Goods made by hand, made to last");
            await page.Locator("nav.cats a").First.ClickAsync();
            await Expect(page.Locator("ul.grid li.card").First).ToBeVisibleAsync();
            Assert.True(await page.Locator("ul.grid li.card").CountAsync() > 1);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
