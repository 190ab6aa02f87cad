using Headless.Api.Features.Accounts.Identity;
using Headless.Tests.Accounts;
using Microsoft.Playwright;

namespace Headless.Tests.AdminUi;

[Collection(AdminBrowserCollection.Name)]
public sealed class SignInTests(AdminBrowser admin)
{
    [Fact]
    public async Task Staff_sign_in_with_password_then_authenticator_code_and_see_every_area_they_may_open()
    {
        var errors = new List<string>();
        var page = await admin.NewPageAsync(errors);
        await admin.SignInAsync(page, await admin.StaffAsync());

        var menu = page.Locator(".RaSidebar-fixed");
        foreach (var item in new[] { "Overview", "Discount codes", "Shipping methods", "Tax rates", "Audit log" })
        {
            await Assertions.Expect(menu.GetByRole(AriaRole.Menuitem, new() { Name = item })).ToBeVisibleAsync();
        }
        // Payments run on the built-in test provider here: every screen says so.
        await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "TEST MODE" })).ToBeVisibleAsync();
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "overview");
        // CSP refusals (an inline style without the nonce, say) are console errors naming the policy.
        Assert.DoesNotContain(errors, e => e.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || e.StartsWith("page error", StringComparison.Ordinal));

        await page.ReloadAsync();
        await Assertions.Expect(menu.GetByRole(AriaRole.Menuitem, new() { Name = "Audit log" })).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task While_a_screen_loads_its_spinners_have_a_name()
    {
        var page = await admin.NewPageAsync();
        await admin.SignInAsync(page, await admin.StaffAsync());
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync("**/api/v1/admin/tax-rates**", async route =>
        {
            await release.Task;
            await route.ContinueAsync();
        });

        await page.GotoAsync("/admin/tax-rates");
        await page.Locator("[role=progressbar]").First.WaitForAsync();
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "tax rates while loading");
        release.SetResult();
        await Assertions.Expect(page.Locator("[role=progressbar]")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_wrong_authenticator_code_is_refused_and_the_code_step_stays()
    {
        var staff = await admin.StaffAsync();
        var page = await admin.NewPageAsync();
        await page.GotoAsync("/admin/");
        await page.GetByLabel("Email").FillAsync(staff.Email);
        await page.GetByLabel("Password").FillAsync(AdminBrowser.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        var right = Totp.Code(staff.AuthenticatorKey);
        await page.GetByLabel("Authenticator code").FillAsync(right == "000000" ? "111111" : "000000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Verify code" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not accepted");
        await Assertions.Expect(page.GetByLabel("Authenticator code")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".RaSidebar-fixed")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_customer_is_told_the_admin_is_for_staff()
    {
        var customer = await admin.StaffAsync(AccountRoles.Customer);
        var page = await admin.NewPageAsync();
        await admin.SignInWithoutWaitingAsync(page, customer);

        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("no staff role");
        await Assertions.Expect(page.Locator(".RaSidebar-fixed")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Sign_out_ends_the_session()
    {
        var page = await admin.NewPageAsync();
        await admin.SignInAsync(page, await admin.StaffAsync());
        await page.GetByRole(AriaRole.Button, new() { Name = "Sam Staff: account menu" }).ClickAsync();
        await page.GetByRole(AriaRole.Menuitem, new() { Name = "Logout" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Email")).ToBeVisibleAsync();

        var me = await page.APIRequest.GetAsync("/api/v1/account");
        Assert.Equal(401, me.Status);
        await page.Context.CloseAsync();
    }
}

[Collection(AdminBrowserCollection.Name)]
public sealed class FirstRunTests(AdminBrowser admin)
{
    [Fact]
    public async Task A_first_run_admin_changes_the_password_adds_an_authenticator_and_signs_in_with_its_code()
    {
        var email = await admin.FirstRunAdminAsync();
        var page = await admin.NewPageAsync();
        await page.GotoAsync("/admin/");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(AdminBrowser.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await page.GetByLabel("New password").FillAsync("a brand new staff passphrase");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save new password" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("authenticator app");

        var key = (await page.GetByTestId("authenticator-key").TextContentAsync())!.Trim();
        await page.GetByLabel("Authenticator code").FillAsync(Totp.Code(key));
        await page.GetByRole(AriaRole.Button, new() { Name = "Turn on two-factor sign-in" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("recovery-codes").Locator("li")).Not.ToHaveCountAsync(0);
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "recovery codes");
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();

        await page.GetByLabel("Authenticator code").FillAsync(Totp.Next(key));
        await page.GetByRole(AriaRole.Button, new() { Name = "Verify code" }).ClickAsync();
        await Assertions.Expect(page.Locator(".RaSidebar-fixed").GetByRole(AriaRole.Menuitem, new() { Name = "Audit log" })).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }
}
