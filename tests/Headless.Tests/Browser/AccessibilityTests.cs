using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Headless.Tests.Browser;

/// <summary>axe-core (npm, injected into the page) finds no serious or critical violations on the shop's
/// main pages, checked after the widgets have rendered.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AccessibilityTests(LiveShop shop)
{
    [Fact]
    public async Task Home_category_product_search_cart_and_checkout_have_no_serious_axe_violations()
    {
        var product = (await shop.ProductsAsync()).Where(p => p.InStock).Skip(5).First();
        var errors = new List<string>();
        var page = await shop.NewPageAsync(errors);
        var found = new List<string>();
        try
        {
            await page.GotoAsync("/");
            found.AddRange(await AxeAsync(page, "home"));

            await page.Locator("nav.cats a").First.ClickAsync();
            await Expect(page.Locator("li.card").First).ToBeVisibleAsync();
            found.AddRange(await AxeAsync(page, "category"));

            await page.GotoAsync($"/products/{product.Slug}/");
            await Expect(page.Locator("[data-widget=product]")).ToHaveAttributeAsync("data-live", "true");
            found.AddRange(await AxeAsync(page, "product"));

            // The type-ahead open, with an option highlighted.
            var box = page.GetByRole(AriaRole.Combobox, new() { Name = "Search products" });
            await box.PressSequentiallyAsync(product.Title[..4]);
            await Expect(box).ToHaveAttributeAsync("aria-expanded", "true");
            await box.PressAsync("ArrowDown");
            found.AddRange(await AxeAsync(page, "product with suggestions open"));
            await box.PressAsync("Escape");

            await page.GotoAsync("/search/?q=" + Uri.EscapeDataString(product.Title.Split(' ')[0]));
            await Expect(page.Locator("[data-search-summary]")).ToBeVisibleAsync();
            found.AddRange(await AxeAsync(page, "search results"));

            await page.GotoAsync($"/products/{product.Slug}/");
            await page.GetByRole(AriaRole.Button, new() { Name = "Add to cart" }).ClickAsync();
            await Expect(page.Locator("header [data-cart-count]")).ToHaveTextAsync("1");
            await page.GotoAsync("/cart/");
            await Expect(page.Locator("[data-line]")).ToHaveCountAsync(1);
            found.AddRange(await AxeAsync(page, "cart"));

            await page.GotoAsync("/checkout/");
            await Expect(page.GetByLabel("Full name")).ToBeVisibleAsync();
            found.AddRange(await AxeAsync(page, "checkout"));

            Assert.True(found.Count == 0, string.Join("\n", found));
            Assert.Empty(errors);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    private static async Task<List<string>> AxeAsync(IPage page, string name)
    {
        if (!await page.EvaluateAsync<bool>("() => typeof window.axe === 'object'"))
        {
            await page.AddScriptTagAsync(new() { Path = LiveShop.AxeScript });
        }
        var result = await page.EvaluateAsync<JsonElement>("async () => (await axe.run(document, { resultTypes: ['violations'] })).violations" +
            ".map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) }))");
        return result.EnumerateArray()
            .Where(v => v.GetProperty("impact").GetString() is "serious" or "critical")
            .Select(v => $"{name}: {v.GetProperty("id").GetString()} ({v.GetProperty("impact").GetString()}) {v.GetProperty("help").GetString()} at {v.GetProperty("nodes")}")
            .ToList();
    }
}
