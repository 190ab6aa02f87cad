using Headless.Tests.Commerce;
using Microsoft.Playwright;

namespace Headless.Tests.AdminUi;

[Collection(AdminBrowserCollection.Name)]
public sealed class OverviewScreenTests(AdminBrowser admin)
{
    [Fact]
    public async Task An_order_placed_through_the_api_appears_on_the_overview_without_a_reload()
    {
        var page = await admin.NewPageAsync();
        await admin.SignInAsync(page, await admin.StaffAsync());
        var newest = page.GetByRole(AriaRole.Table, new() { Name = "Newest orders" });
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Newest orders (live)" })).ToBeVisibleAsync();
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "overview");

        await Shop.PricingAsync(admin);
        var shopper = admin.CreateClient();
        var cart = await Shop.NewCartAsync(shopper, (await Shop.SkuAsync(admin.Admin(), stock: 5), 1));
        var checkout = await Shop.CheckOutAsync(shopper, cart.Token);

        await Assertions.Expect(newest.GetByRole(AriaRole.Row).Filter(new() { HasText = checkout.Order.Number })).ToBeVisibleAsync();
        await Assertions.Expect(newest.GetByRole(AriaRole.Row).Filter(new() { HasText = checkout.Order.Number })).ToContainTextAsync("pending_payment");
        await page.Context.CloseAsync();
    }
}
