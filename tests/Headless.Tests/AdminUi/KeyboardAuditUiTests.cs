using Microsoft.Playwright;

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
}
