using System.Text.RegularExpressions;
using Headless.Api.Features.Accounts.Identity;
using Headless.Tests.Commerce;
using Headless.Tests.Infrastructure;
using Microsoft.Playwright;
using static Headless.Tests.AdminUi.KeyboardNavigation;

namespace Headless.Tests.AdminUi;

/// <summary>Keyboard only: no clicks, each control reached by focus and worked with keys; then the action is
/// found in the audit log, filtered by actor and action as staff would.</summary>
[Collection(AdminBrowserCollection.Name)]
public sealed class KeyboardAuditUiTests(AdminBrowser admin)
{
    [Fact]
    public async Task Invite_staff_with_the_keyboard_and_find_the_invitation_in_the_audit_log()
    {
        var staff = await admin.StaffAsync();
        var page = await admin.NewPageAsync();
        await admin.SignInAsync(page, staff);
        await page.GotoAsync("/admin/staff");
        await page.GetByRole(AriaRole.Link, new() { Name = "Invite staff" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var email = $"kbd-{Guid.NewGuid():N}@example.test";
        await page.GetByLabel("Email").FocusAsync();
        await page.Keyboard.TypeAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send invitation" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByText("Invitation sent to " + email)).ToBeVisibleAsync();

        var filter = Uri.EscapeDataString($"{{\"actor\":\"user:{staff.Id}\",\"action\":\"staff.invited\"}}");
        await page.GotoAsync($"/admin/audit?filter={filter}");
        var rows = page.Locator(".RaDatagrid-tbody tr").Filter(new() { HasText = "staff.invited" });
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows).ToContainTextAsync($"user:{staff.Id}");
        await Assertions.Expect(rows).ToContainTextAsync("staff_invitation");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Open_an_order_from_the_list_and_ship_it_with_the_keyboard_then_find_it_in_the_audit_log()
    {
        await Shop.PricingAsync(admin);
        var sku = await Shop.SkuAsync(admin.Admin(), stock: 5, price: 2000);
        var shopper = admin.CreateClient();
        var checkout = await Shop.CheckOutAsync(shopper, (await Shop.NewCartAsync(shopper, (sku, 1))).Token);
        (await Shop.PayAsync(shopper, checkout)).EnsureSuccessStatusCode();
        var staff = await admin.StaffAsync();
        var page = await admin.NewPageAsync();
        await admin.SignInAsync(page, staff);

        await page.GotoAsync("/admin/orders");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = checkout.Order.Number })).ToBeVisibleAsync();
        await TabUntilAsync(page, Named(checkout.Order.Number));
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/admin/orders/{checkout.Order.Id}/show$"));
        await Assertions.Expect(page.GetByLabel("Timeline")).ToContainTextAsync("Paid");

        await TabUntilAsync(page, Named("Ship"));
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Dialog).GetByLabel("Carrier")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("UPS");
        await TabUntilAsync(page, "el => [...(el.labels ?? [])].some(l => l.textContent.startsWith('Tracking number'))");
        await page.Keyboard.TypeAsync("1Z999AA10123456784");
        await TabUntilAsync(page, Named("Mark shipped"));
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByLabel("Timeline")).ToContainTextAsync("Shipped · UPS 1Z999AA10123456784");

        var entry = await AuditLogScreen.FindAsync(page, checkout.Order.Id.ToString(), "order.shipped", $"user:{staff.Id}");
        await AuditLogScreen.ExpectChangeAsync(entry, "carrier", "null", "UPS");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Open_a_customer_from_the_list_and_export_their_data_with_the_keyboard()
    {
        var customer = await admin.StaffAsync(AccountRoles.Customer);
        var page = await admin.NewPageAsync();
        await admin.SignInAsync(page, await admin.StaffAsync());

        await page.GotoAsync($"/admin/customers?filter={Uri.EscapeDataString($"{{\"q\":\"{customer.Email}\"}}")}");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = customer.Email })).ToBeVisibleAsync();
        await TabUntilAsync(page, Named(customer.Email));
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/admin/customers/{customer.Id}/show$"));

        await TabUntilAsync(page, Named("Export data (JSON)"));
        var download = await page.RunAndWaitForDownloadAsync(() => page.Keyboard.PressAsync("Enter"));
        Assert.Equal($"customer-{customer.Id}.json", download.SuggestedFilename);
        Assert.Contains(customer.Email, await File.ReadAllTextAsync((await download.PathAsync())!));
        await Assertions.Expect(page.GetByText("The export was downloaded.")).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_product_edit_is_found_in_the_audit_log_with_its_changed_title_and_the_log_works_with_the_keyboard()
    {
        var product = await admin.Admin().CreateProductAsync(CatalogSeed.Product());
        var staff = await admin.StaffAsync();
        var page = await admin.NewPageAsync();
        await admin.SignInAsync(page, staff);

        await page.GotoAsync($"/admin/products/{product.Id}");
        await Assertions.Expect(page.GetByLabel("Title").First).ToHaveValueAsync(product.Title);
        await page.GetByLabel("Title").First.FillAsync(product.Title + " (renamed)");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"/admin/products(\?.*)?$"));

        var entry = await AuditLogScreen.FindAsync(page, product.Id.ToString(), "product.updated", $"user:{staff.Id}");
        await AuditLogScreen.ExpectChangeAsync(entry, "title", product.Title, product.Title + " (renamed)");
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "audit log, an entry expanded");

        // The same entry, collapsed and opened again by keyboard alone.
        await TabUntilAsync(page, Named("Hide changes"));
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(entry).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Show changes" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await AuditLogScreen.ExpectChangeAsync(entry, "title", product.Title, product.Title + " (renamed)");
        await page.Context.CloseAsync();
    }
}
