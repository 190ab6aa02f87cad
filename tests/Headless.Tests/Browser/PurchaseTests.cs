using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Headless.Tests.Browser;

/// <summary>A guest finds a product by browsing, buys it with the test card, and sees the order.</summary>
[Collection(BrowserCollection.Name)]
public sealed partial class PurchaseTests(LiveShop shop)
{
    [GeneratedRegex(@"^HL-[0-9]+$")]
    private static partial Regex OrderNumber();

    [Fact]
    public async Task A_guest_browses_adds_to_cart_and_pays_after_a_declined_card()
    {
        var errors = new List<string>();
        var page = await shop.NewPageAsync(errors);
        var elsewhere = new List<string>();
        page.Request += (_, r) =>
        {
            if (!r.Url.StartsWith(shop.BaseUrl + "/", StringComparison.Ordinal) && !r.Url.StartsWith("data:", StringComparison.Ordinal))
            {
                elsewhere.Add(r.Url);
            }
        };
        try
        {
            await page.GotoAsync("/");
            await page.Locator("nav.cats a").First.ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/categories/[^/]+/$"));
            // The first product on the listing that is in stock.
            await page.Locator("li.card").Filter(new() { HasNot = page.Locator(".badge.out") }).First.Locator("a").ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/products/[^/]+/$"));
            var title = await page.Locator("h1").TextContentAsync();
            await Expect(page.Locator("[data-widget=product]")).ToHaveAttributeAsync("data-live", "true");

            await page.GetByRole(AriaRole.Button, new() { Name = "Add to cart" }).ClickAsync();
            await Expect(page.Locator("form[data-widget=add-to-cart] [data-message]")).ToContainTextAsync("Added to your cart");
            await Expect(page.Locator("header [data-cart-count]")).ToHaveTextAsync("1");

            await page.Locator("header a[data-widget=mini-cart]").ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/cart/$"));
            await Expect(page.Locator("[data-line]")).ToHaveCountAsync(1);
            await Expect(page.Locator("[data-line] a").First).ToHaveTextAsync(title!);
            // Two of them: the line total and the header count follow.
            await page.GetByLabel("Quantity").FillAsync("2");
            await page.GetByLabel("Quantity").DispatchEventAsync("change");
            await Expect(page.Locator("header [data-cart-count]")).ToHaveTextAsync("2");
            await page.GetByLabel("Ship to").SelectOptionAsync("DE");
            await Expect(page.Locator("[data-totals]")).ToContainTextAsync("Tax included (19 %)");

            await page.GetByRole(AriaRole.Link, new() { Name = "Check out" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/checkout/$"));
            await page.GetByLabel("Email").FillAsync("ada@example.com");
            await page.GetByLabel("Full name").FillAsync("Ada Lovelace");
            await page.GetByLabel("Address", new() { Exact = true }).FillAsync("Hauptstraße 1");
            await page.GetByLabel("Postal code").FillAsync("10115");
            await page.GetByLabel("City").FillAsync("Berlin");
            await Expect(page.GetByLabel("Country")).ToHaveValueAsync("DE"); // chosen in the cart
            await page.GetByRole(AriaRole.Radio, new() { Name = "Standard" }).CheckAsync();
            await Expect(page.GetByRole(AriaRole.Radio, new() { Name = "Standard" })).ToBeCheckedAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Continue to payment" }).ClickAsync();

            await Expect(page.Locator(".test-mode")).ToContainTextAsync("TEST MODE");
            await Expect(page.Locator("header [data-cart-count]")).ToHaveTextAsync("");
            await page.GetByLabel("Card number (test)").FillAsync("4000 0000 0000 0002");
            await page.GetByLabel("Expiry (MM/YY)").FillAsync("12/34");
            await page.GetByLabel("CVC").FillAsync("123");
            await page.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Pay ") }).ClickAsync();
            await Expect(page.Locator("[data-test-payment] [data-message]")).ToHaveTextAsync("Your card was declined. Try another card.");

            await page.GetByLabel("Card number (test)").FillAsync("4242 4242 4242 4242");
            await page.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Pay ") }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/checkout/confirmation/#order=[0-9a-f-]{36}$"));
            await Expect(page.Locator("[data-order-number]")).ToHaveTextAsync(OrderNumber());
            await Expect(page.Locator("[data-order-status]")).ToHaveTextAsync(new Regex("^Paid"));
            await Expect(page.Locator(".lines li")).ToContainTextAsync(title!);
            Assert.DoesNotContain("token", page.Url, StringComparison.OrdinalIgnoreCase);
            Assert.Empty(elsewhere); // in test mode nothing is loaded from anywhere else (no Stripe.js)
            Assert.DoesNotContain(errors, e => !e.Contains("402", StringComparison.Ordinal));
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
