using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Headless.Tests.Browser;

/// <summary>A guest's cart follows them into their account when they sign in.</summary>
[Collection(BrowserCollection.Name)]
public sealed class SignInCartTests(LiveShop shop)
{
    private const string Password = "a long passphrase for tests";

    [Fact]
    public async Task Signing_in_merges_the_guest_cart_into_the_customers_cart()
    {
        var email = await shop.CustomerAsync(Password);
        var product = (await shop.ProductsAsync()).Where(p => p.InStock).Skip(9).First();
        var errors = new List<string>();
        var page = await shop.NewPageAsync(errors);
        try
        {
            await page.GotoAsync($"/products/{product.Slug}/");
            await page.GetByRole(AriaRole.Button, new() { Name = "Add to cart" }).ClickAsync();
            await Expect(page.Locator("header [data-cart-count]")).ToHaveTextAsync("1");
            var guestToken = await page.EvaluateAsync<string?>("() => localStorage.getItem('hl.cart')");
            Assert.False(string.IsNullOrEmpty(guestToken));

            await page.GotoAsync("/account/sign-in/");
            await page.GetByLabel("Email").FillAsync(email);
            await page.GetByLabel("Password").FillAsync(Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/account/$"));
            await Expect(page.Locator("[data-widget=account]")).ToContainTextAsync($"Signed in as Grace ({email})");

            // The guest token is gone; the cart is now the account's ("mine") and holds the line.
            Assert.Null(await page.EvaluateAsync<string?>("() => localStorage.getItem('hl.cart')"));
            await Expect(page.Locator("header [data-cart-count]")).ToHaveTextAsync("1");
            await page.GotoAsync("/cart/");
            await Expect(page.Locator($"[data-line] a[href='/products/{product.Slug}/']")).ToBeVisibleAsync();

            await page.GotoAsync("/account/");
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(shop.BaseUrl + "/");
            await Expect(page.Locator("header [data-cart-count]")).ToHaveTextAsync("");
            Assert.Empty(errors);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
