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
        // The low-stock card (adm-catalog's GET /admin/inventory?lowStock=true) is there for catalog staff.
        await Assertions.Expect(page.GetByTestId("low-stock")).ToBeVisibleAsync();
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "overview");

        await Shop.PricingAsync(admin);
        var shopper = admin.CreateClient();
        var cart = await Shop.NewCartAsync(shopper, (await Shop.SkuAsync(admin.Admin(), stock: 5), 1));
        var checkout = await Shop.CheckOutAsync(shopper, cart.Token);

        // Live means without a reload, not within Playwright's default 5 s: under the suite's load the outbox event can
        // take longer to become visible to the stream (an event shows once no older transaction is open).
        await Assertions.Expect(newest.GetByRole(AriaRole.Row).Filter(new() { HasText = checkout.Order.Number })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(newest.GetByRole(AriaRole.Row).Filter(new() { HasText = checkout.Order.Number })).ToContainTextAsync("pending_payment");
        await page.Context.CloseAsync();
    }
}
