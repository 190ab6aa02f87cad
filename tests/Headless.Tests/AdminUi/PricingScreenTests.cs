using System.Net;
using Headless.Contracts.Commerce;
using Headless.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Headless.Tests.AdminUi;

[Collection(AdminBrowserCollection.Name)]
public sealed class PricingScreenTests(AdminBrowser admin)
{
    private async Task<DiscountCode> DiscountCodeAsync(string code) =>
        (await (await admin.Admin().GetAsync("/api/v1/admin/discount-codes")).ReadAsync<DiscountCodeList>()).Items.Single(d => d.Code == code);

    [Fact]
    public async Task Create_a_discount_code_edit_it_see_a_stale_edit_refused_and_the_change_in_the_audit_log()
    {
        var page = await admin.NewPageAsync();
        await admin.SignInAsync(page, await admin.StaffAsync());
        var code = "SPRING" + Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();

        // Create.
        await page.GotoAsync("/admin/discount-codes/create");
        await page.GetByLabel("Code").FillAsync(code);
        await page.GetByRole(AriaRole.Combobox, new() { Name = "Kind" }).ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "Percentage (value in basis points: 1000 = 10 %)" }).ClickAsync();
        await page.GetByLabel("Value").FillAsync("1500");
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "discount code form");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/admin/discount-codes$"));
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = code })).ToBeVisibleAsync();
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "discount code list");
        Assert.Equal(1500, (await DiscountCodeAsync(code)).Value);

        // Edit: the save sends the version the form was opened with.
        await page.GetByRole(AriaRole.Row).Filter(new() { HasText = code }).ClickAsync();
        await page.GetByLabel("Usage limit").FillAsync("50");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/admin/discount-codes$"));
        var edited = await DiscountCodeAsync(code);
        Assert.Equal(50, edited.UsageLimit);
        Assert.Equal(2, edited.Version);

        // Stale: someone else changes it after the form opened; our save is refused with the explanation.
        await page.GotoAsync($"/admin/discount-codes/{code}");
        await Assertions.Expect(page.GetByLabel("Usage limit")).ToHaveValueAsync("50");
        var other = await admin.Admin().SendJsonAsync(HttpMethod.Patch, $"/api/v1/admin/discount-codes/{code}", new { usageLimit = 60 }, "\"v2\"");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        await page.GetByLabel("Usage limit").FillAsync("70");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        var notice = page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Someone else changed this record" });
        await Assertions.Expect(notice).ToBeVisibleAsync();
        await Assertions.Expect(notice.GetByRole(AriaRole.Button, new() { Name = "Reload" })).ToBeVisibleAsync();
        Assert.Equal(60, (await DiscountCodeAsync(code)).UsageLimit);
        await notice.GetByRole(AriaRole.Button, new() { Name = "Reload" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Usage limit")).ToHaveValueAsync("60");

        // The audit log lists the changes, newest first, with the diff.
        await page.GotoAsync($"/admin/audit?filter={Uri.EscapeDataString($"{{\"entityId\":\"{code}\"}}")}");
        var rows = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "discount-code.updated" });
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await rows.First.ClickAsync();
        var change = page.Locator("tr[data-field=\"usageLimit\"]").First;
        await Assertions.Expect(change).ToContainTextAsync("50");
        await Assertions.Expect(change).ToContainTextAsync("60");
        await Assertions.Expect(page.GetByTestId("audit-chain")).ToContainTextAsync("Audit chain intact");
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "audit");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_menu_and_a_form_work_with_the_keyboard_alone()
    {
        var page = await admin.NewPageAsync();
        await admin.SignInAsync(page, await admin.StaffAsync());

        await KeyboardNavigation.TabUntilAsync(page, "el => el.textContent.includes('Tax rates') && el.getAttribute('role') === 'menuitem'");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/admin/tax-rates$"));
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "tax rates");

        await KeyboardNavigation.TabUntilAsync(page, "el => el.getAttribute('aria-label') === 'Create' || el.textContent.trim() === 'Create'");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("input[name=country]")).ToBeVisibleAsync();
        await KeyboardNavigation.TabUntilAsync(page, "el => el.name === 'country'");
        await page.Keyboard.TypeAsync("MT");
        await KeyboardNavigation.TabUntilAsync(page, "el => el.name === 'rateBasisPoints'");
        await page.Keyboard.TypeAsync("1800");
        await KeyboardNavigation.TabUntilAsync(page, "el => el.type === 'submit'");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/admin/tax-rates$"));
        var list = await (await admin.Admin().GetAsync("/api/v1/admin/tax-rates")).ReadAsync<TaxRateList>();
        Assert.Contains(list.Items, t => t.Country == "MT" && t.Region == "" && t.RateBasisPoints == 1800);
        await page.Context.CloseAsync();
    }
}
