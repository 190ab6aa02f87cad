using Dapper;
using Headless.Api.Features.Accounts.Identity;
using Headless.Tests.Accounts;
using Headless.Tests.Commerce;
using Microsoft.Playwright;

namespace Headless.Tests.AdminUi;

/// <summary>The orders, customers and staff screens through the browser: ship and refund an order, erase a
/// customer behind the typed confirmation, invite a staff member who accepts and turns on two-factor
/// authentication; axe on each screen.</summary>
[Collection(AdminBrowserCollection.Name)]
public sealed class OrdersCustomersStaffUiTests(AdminBrowser admin)
{
    /// <summary>Checks a screen once it has settled: no load in flight (the app bar's spinner, which has no
    /// accessible name, shows only then) and dialogs faded in to full opacity, as the user sees them.</summary>
    private static async Task AxeAsync(IPage page, string name)
    {
        await Assertions.Expect(page.Locator(".MuiCircularProgress-root")).ToHaveCountAsync(0);
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('.MuiDialog-container')].every(e => getComputedStyle(e).opacity === '1')");
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, name);
    }

    private async Task<T> ScalarAsync<T>(string sql, object? args = null)
    {
        await using var conn = await admin.Db.OpenConnectionAsync();
        return (await conn.ExecuteScalarAsync<T>(sql, args))!;
    }

    [Fact]
    public async Task Staff_ship_an_order_and_refund_part_of_it_and_see_both_on_its_timeline()
    {
        await Shop.PricingAsync(admin);
        var sku = await Shop.SkuAsync(admin.Admin(), stock: 5, price: 2000);
        var shopper = admin.CreateClient();
        var checkout = await Shop.CheckOutAsync(shopper, (await Shop.NewCartAsync(shopper, (sku, 1))).Token);
        (await Shop.PayAsync(shopper, checkout)).EnsureSuccessStatusCode();

        var errors = new List<string>();
        var page = await admin.NewPageAsync(errors);
        var staff = await admin.StaffAsync();
        await admin.SignInAsync(page, staff);
        await page.GotoAsync("/admin/orders");
        await Assertions.Expect(page.GetByText(checkout.Order.Number)).ToBeVisibleAsync();
        await AxeAsync(page, "orders list");
        await page.GetByText(checkout.Order.Number).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Timeline")).ToContainTextAsync("Paid");
        await AxeAsync(page, "order detail");

        await page.GetByRole(AriaRole.Button, new() { Name = "Ship", Exact = true }).ClickAsync();
        var ship = page.GetByRole(AriaRole.Dialog);
        await AxeAsync(page, "ship dialog");
        await ship.GetByLabel("Carrier").FillAsync("DHL");
        await ship.GetByLabel("Tracking number").FillAsync("JD014600006281230701");
        await ship.GetByRole(AriaRole.Button, new() { Name = "Mark shipped" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Timeline")).ToContainTextAsync("Shipped · DHL JD014600006281230701");

        await page.GetByRole(AriaRole.Button, new() { Name = "Refund", Exact = true }).ClickAsync();
        var refund = page.GetByRole(AriaRole.Dialog);
        await refund.GetByLabel("Part of it").CheckAsync();
        await refund.GetByLabel("Amount in EUR").FillAsync("2.50");
        await refund.GetByRole(AriaRole.Button, new() { Name = "Refund" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Timeline")).ToContainTextAsync("Refunded · €2.50");

        Assert.Equal(("partially_refunded", 250L), (await ScalarAsync<string>("select status from orders where id = @id", new { id = checkout.Order.Id }),
            await ScalarAsync<long>("select refunded_total from orders where id = @id", new { id = checkout.Order.Id })));
        Assert.Equal("JD014600006281230701", await ScalarAsync<string>("select tracking_number from orders where id = @id", new { id = checkout.Order.Id }));

        // Both actions in the audit log, each with what it changed.
        var orderId = checkout.Order.Id.ToString();
        var shipped = await AuditLogScreen.FindAsync(page, orderId, "order.shipped", $"user:{staff.Id}");
        await AuditLogScreen.ExpectChangeAsync(shipped, "status", "paid", "fulfilled");
        await AuditLogScreen.ExpectChangeAsync(shipped, "trackingNumber", "null", "JD014600006281230701");
        await AxeAsync(page, "audit log");
        var refunded = await AuditLogScreen.FindAsync(page, orderId, "order.refunded", $"user:{staff.Id}");
        await AuditLogScreen.ExpectChangeAsync(refunded, "status", "fulfilled", "partially_refunded");
        await AuditLogScreen.ExpectChangeAsync(refunded, "refundedTotal", "0", "250");
        Assert.DoesNotContain(errors, e => e.StartsWith("page error", StringComparison.Ordinal));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Erasing_a_customer_waits_for_their_email_to_be_typed()
    {
        var customer = await admin.StaffAsync(AccountRoles.Customer);
        var page = await admin.NewPageAsync();
        var staff = await admin.StaffAsync();
        await admin.SignInAsync(page, staff);
        await page.GotoAsync("/admin/customers");
        await Assertions.Expect(page.GetByText(customer.Email)).ToBeVisibleAsync();
        await AxeAsync(page, "customers list");
        await page.GetByText(customer.Email).ClickAsync();
        await Assertions.Expect(page.GetByText("No consent given or withdrawn.")).ToBeVisibleAsync();
        await AxeAsync(page, "customer detail");

        await page.GetByRole(AriaRole.Button, new() { Name = "Erase customer" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        var erase = dialog.GetByRole(AriaRole.Button, new() { Name = "Erase permanently" });
        await Assertions.Expect(erase).ToBeDisabledAsync();
        await dialog.GetByLabel("Type the customer's email to confirm").FillAsync("someone-else@example.test");
        await Assertions.Expect(erase).ToBeDisabledAsync();
        await AxeAsync(page, "erase dialog");
        await dialog.GetByLabel("Type the customer's email to confirm").FillAsync(customer.Email);
        await Assertions.Expect(erase).ToBeEnabledAsync();
        await erase.ClickAsync();

        await Assertions.Expect(page.GetByText("The customer's personal data was erased.")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Erase customer" })).ToHaveCountAsync(0);
        Assert.True(await ScalarAsync<bool>("select erased_at is not null from users where id = @id", new { id = customer.Id }));

        // The erasure is in the audit log under the customer's id; it records no personal data, so no diff.
        var erased = await AuditLogScreen.FindAsync(page, customer.Id.ToString(), "gdpr.erased", $"user:{staff.Id}");
        await Assertions.Expect(erased).ToContainTextAsync("this action records no before or after");
        await Assertions.Expect(erased).Not.ToContainTextAsync(customer.Email);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_admin_invites_staff_who_accept_and_turn_on_two_factor_authentication()
    {
        var page = await admin.NewPageAsync();
        await admin.SignInAsync(page, await admin.StaffAsync());
        await page.GotoAsync("/admin/staff");
        await Assertions.Expect(page.Locator(".RaDatagrid-table")).ToBeVisibleAsync();
        await AxeAsync(page, "staff list");
        await page.GetByRole(AriaRole.Link, new() { Name = "Invite staff" }).ClickAsync();
        var email = $"invitee-{Guid.NewGuid():N}@example.test";
        await page.GetByLabel("Email").FillAsync(email);
        await AxeAsync(page, "invite form");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send invitation" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Invitation sent to " + email)).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Region, new() { Name = "Pending invitations" })).ToContainTextAsync(email);

        // The link from the email the invitee got, as they would click it.
        var mail = await admin.Smtp.WaitForMailAsync(m => m.To.Contains(email, StringComparer.OrdinalIgnoreCase), TimeSpan.FromSeconds(20));
        var link = System.Text.RegularExpressions.Regex.Match(mail.Text, @"https?://\S+/admin/accept-invitation#token=[^\s]+").Value;
        var path = new Uri(link).PathAndQuery + new Uri(link).Fragment;
        Assert.StartsWith("/admin/accept-invitation#token=", path, StringComparison.Ordinal);

        var invitee = await admin.NewPageAsync();
        await invitee.GotoAsync(path);
        await invitee.GetByLabel("Your email (the invited address)").FillAsync(email);
        await invitee.GetByLabel("New password").FillAsync(AdminBrowser.Password);
        await AxeAsync(invitee, "accept invitation");
        await invitee.GetByRole(AriaRole.Button, new() { Name = "Accept the invitation" }).ClickAsync();
        var key = await invitee.GetByLabel("Authenticator key").InputValueAsync();
        await invitee.GetByLabel("6-digit code").FillAsync(Totp.Code(key));
        await invitee.GetByRole(AriaRole.Button, new() { Name = "Turn on two-factor authentication" }).ClickAsync();
        await Assertions.Expect(invitee.GetByText("Your staff account is ready")).ToBeVisibleAsync();

        var inviteeId = await Accounts.VaultPeople.UserIdAsync(admin.Services, admin.Db, email);
        Assert.True(await ScalarAsync<bool>("""
            select u.two_factor_enabled and exists (select 1 from user_roles r where r.user_id = u.id and r.role = 'staff')
            from users u where u.id = @inviteeId
            """, new { inviteeId }));
        await invitee.Context.CloseAsync();
        await page.Context.CloseAsync();
    }
}
