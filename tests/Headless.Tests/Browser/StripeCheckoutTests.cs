using System.Text.RegularExpressions;
using Headless.Tests.Payments;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Headless.Tests.Browser;

/// <summary>The shop taking payments through Stripe (played by the <see cref="StripeStandIn"/>). This machine
/// cannot reach js.stripe.com, so the browser gets a small stand-in for Stripe.js at that address, which
/// asks the Stripe stand-in to succeed the intent as Stripe's own would after the shopper confirms.</summary>
public sealed class StripeLiveShop : LiveShop
{
    public StripeStandIn Stripe { get; private set; } = null!;

    protected override async Task BeforeStartAsync() => Stripe = await StripeStandIn.StartAsync(StripeHost.SecretKey, StripeHost.WebhookSecret);

    protected override async ValueTask AfterStopAsync()
    {
        if (Stripe is not null)
        {
            await Stripe.DisposeAsync();
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Headless:Payments:Stripe:SecretKey", StripeHost.SecretKey);
        builder.UseSetting("Headless:Payments:Stripe:PublishableKey", StripeHost.PublishableKey);
        builder.UseSetting("Headless:Payments:Stripe:WebhookSecret", StripeHost.WebhookSecret);
        builder.UseSetting("Headless:Payments:Stripe:ApiBase", Stripe.BaseUrl);
    }
}

public sealed class StripeCheckoutTests(StripeLiveShop shop) : IClassFixture<StripeLiveShop>
{
    private const string StripeJs = """
        window.Stripe = function (key) {
          window.__stripe = { key: key };
          return {
            elements: function (options) {
              window.__stripe.clientSecret = options.clientSecret;
              return { create: function (kind) { return { mount: function (el) {
                var p = document.createElement('p'); p.setAttribute('data-stand-in', kind); p.textContent = 'Card details (Stripe stand-in)'; el.append(p);
              } }; } };
            },
            confirmPayment: async function (options) {
              await window.standInConfirm(window.__stripe.clientSecret);
              return {};
            }
          };
        };
        """;

    [Fact]
    public async Task Checkout_mounts_the_payment_element_with_the_client_secret_and_publishable_key_and_pays()
    {
        var product = (await shop.ProductsAsync()).Where(p => p.InStock).Skip(2).First();
        var errors = new List<string>();
        var page = await shop.NewPageAsync(errors);
        var stripeLoads = 0;
        try
        {
            await page.RouteAsync("https://js.stripe.com/**", async route =>
            {
                stripeLoads++;
                await route.FulfillAsync(new() { Status = 200, ContentType = "text/javascript", Body = StripeJs });
            });
            await page.ExposeFunctionAsync("standInConfirm", (string clientSecret) =>
            {
                shop.Stripe.SucceedIntent(clientSecret[..clientSecret.IndexOf("_secret_", StringComparison.Ordinal)]);
                return true;
            });

            await page.GotoAsync($"/products/{product.Slug}/");
            await page.GetByRole(AriaRole.Button, new() { Name = "Add to cart" }).ClickAsync();
            await Expect(page.Locator("header [data-cart-count]")).ToHaveTextAsync("1");
            await page.GotoAsync("/checkout/");
            await page.GetByLabel("Email").FillAsync("grace@example.com");
            await page.GetByLabel("Full name").FillAsync("Grace Hopper");
            await page.GetByLabel("Address", new() { Exact = true }).FillAsync("Unter den Linden 5");
            await page.GetByLabel("Postal code").FillAsync("10117");
            await page.GetByLabel("City").FillAsync("Berlin");
            await page.GetByLabel("Country").SelectOptionAsync("DE");
            await Expect(page.GetByRole(AriaRole.Radio, new() { Name = "Standard" })).ToBeCheckedAsync();
            Assert.Equal(0, stripeLoads); // Stripe.js only once the order pays with Stripe
            await page.GetByRole(AriaRole.Button, new() { Name = "Continue to payment" }).ClickAsync();

            await Expect(page.Locator("[data-stand-in=payment]")).ToBeVisibleAsync();
            Assert.Equal(1, stripeLoads);
            Assert.Equal(StripeHost.PublishableKey, await page.EvaluateAsync<string>("() => window.__stripe.key"));
            Assert.Matches("^pi_.+_secret_.+$", await page.EvaluateAsync<string>("() => window.__stripe.clientSecret"));
            await Expect(page.Locator(".test-mode")).ToHaveCountAsync(0);

            await page.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Pay ") }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/checkout/confirmation/#order=[0-9a-f-]{36}$"));
            await Expect(page.Locator("[data-order-status]")).ToHaveTextAsync(new Regex("^Paid"));
            Assert.Empty(errors);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
