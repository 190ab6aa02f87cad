using System.Text.RegularExpressions;
using Headless.Storefront.Rendering;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Headless.Tests.Browser;

/// <summary>An open product page follows admin changes live: price and stock come from the API while it is shown.</summary>
[Collection(BrowserCollection.Name)]
public sealed class LiveUpdateTests(LiveShop shop)
{
    private static readonly LocatorAssertionsToHaveTextOptions FewSeconds = new() { Timeout = 10_000 };

    [Fact]
    public async Task A_price_change_shows_on_the_open_product_page_within_seconds()
    {
        var products = await shop.ProductsAsync();
        var product = await shop.ProductAsync(products.Where(p => p.InStock).Reverse().First().Slug);
        var variant = product.Variants.Where(v => v.Status == "active").MinBy(v => v.Price.Amount)!;
        var page = await shop.NewPageAsync();
        try
        {
            await page.GotoAsync($"/products/{product.Slug}/");
            await Expect(page.Locator("[data-widget=product]")).ToHaveAttributeAsync("data-live", "true");
            // Cheaper than before, so it stays the product's lowest ("from") price.
            var newAmount = variant.Price.Amount - 101 > 0 ? variant.Price.Amount - 101 : variant.Price.Amount - 1;
            var text = MoneyText.Format(newAmount, variant.Price.Currency);
            await Expect(page.Locator("[data-price]")).Not.ToContainTextAsync(text);
            await shop.SetPriceAsync(product.Id, variant, newAmount);

            await Expect(page.Locator("[data-price]")).ToHaveTextAsync(new Regex($"^(From )?{Regex.Escape(text)}$"), FewSeconds);
            await Expect(page.Locator($"[data-variant-price='{variant.Sku}']")).ToHaveTextAsync(text, FewSeconds);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task A_product_that_sells_out_says_so_live_and_cannot_be_added()
    {
        var products = await shop.ProductsAsync();
        var product = await shop.ProductAsync(products.Where(p => p.InStock).Reverse().Skip(1).First().Slug);
        var page = await shop.NewPageAsync();
        try
        {
            await page.GotoAsync($"/products/{product.Slug}/");
            var button = page.Locator("[data-add-button]");
            await Expect(button).ToBeEnabledAsync();
            await Expect(button).ToHaveTextAsync("Add to cart");

            foreach (var v in product.Variants)
            {
                await shop.SetStockAsync(v.Sku, 0);
            }

            await Expect(page.Locator("[data-stock]")).ToHaveTextAsync("Sold out", FewSeconds);
            await Expect(button).ToHaveTextAsync("Sold out", FewSeconds);
            await Expect(button).ToBeDisabledAsync();
            await Expect(page.Locator("input[name=sku]:not(:disabled)")).ToHaveCountAsync(0);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
