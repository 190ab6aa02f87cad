using Dapper;
using Headless.Api.Features.Accounts.Identity;
using Microsoft.Playwright;

namespace Headless.Tests.AdminUi;

/// <summary>"Move to region…" on the customer detail, with the keyboard only: open the dialog, type the confirmation,
/// move, see the new region; axe on the dialog.</summary>
[Collection(AdminBrowserCollection.Name)]
public sealed class CustomerRegionMoveUiTests(AdminBrowser admin)
{
    [Fact]
    public async Task Staff_move_a_customer_to_us_with_the_keyboard_and_see_the_new_region()
    {
        var customer = await admin.StaffAsync(AccountRoles.Customer);
        var page = await admin.NewPageAsync();
        await admin.SignInAsync(page, await admin.StaffAsync());
        await page.GotoAsync($"/admin/customers/{customer.Id}/show");
        await Assertions.Expect(page.GetByText("Data kept in region")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("No consent given or withdrawn.")).ToBeVisibleAsync();

        var open = page.GetByRole(AriaRole.Button, new() { Name = "Move to region…" });
        await open.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Assertions.Expect(dialog.GetByRole(AriaRole.Radio, new() { Name = "US (everyone else)" })).ToBeCheckedAsync();
        var move = dialog.GetByRole(AriaRole.Button, new() { Name = "Move to us" });
        await Assertions.Expect(move).ToBeDisabledAsync();
        var confirm = dialog.GetByLabel("Type the customer's email to confirm");
        await Assertions.Expect(confirm).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync(customer.Email);
        await Assertions.Expect(move).ToBeEnabledAsync();
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('.MuiDialog-container')].every(e => getComputedStyle(e).opacity === '1')");
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "move-to-region dialog");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(move).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");

        await Assertions.Expect(dialog.GetByText("Moved from eu to us.")).ToBeVisibleAsync();
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "move-to-region dialog, moved");
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByText("us", new() { Exact = true })).ToBeVisibleAsync();
        await using (var conn = await admin.Db.OpenConnectionAsync())
        {
            Assert.Equal("us", await conn.ExecuteScalarAsync<string>("select person_region from users where id = @Id", new { customer.Id }));
        }
        await page.Context.CloseAsync();
    }
}
