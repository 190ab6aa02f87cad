using System.Net;
using System.Net.Http.Json;
using Dapper;
using Headless.Contracts.Accounts;
using Headless.Tests.Commerce;
using Headless.Tests.Email;
using Headless.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Headless.Tests.Accounts;

/// <summary>Export and erasure reach what a person left as a guest (orders, the mail about them) once
/// they have proved the address is theirs by confirming it; tax records keep amounts, country and number.</summary>
public sealed class GuestOrderPrivacyTests(AccountsHost host) : IClassFixture<AccountsHost>
{
    private async Task<(string Number, Guid OrderId)> GuestOrderAsync(string email)
    {
        await Shop.PricingAsync(host.Api);
        var guest = host.Client();
        var sku = await Shop.SkuAsync(host.Api.Admin(), stock: 5);
        var cart = await Shop.NewCartAsync(guest, (sku, 1));
        var checkout = await (await Shop.CheckoutAsync(guest, Shop.CheckoutBody(cart.Token, email: email))).ReadAsync<Contracts.Commerce.CheckoutResult>(HttpStatusCode.Created);
        Assert.True((await Shop.PayAsync(guest, checkout)).IsSuccessStatusCode);
        return (checkout.Order.Number, checkout.Order.Id);
    }

    [Fact]
    public async Task A_confirmed_customer_exports_their_guest_orders_and_the_mail_about_them()
    {
        var email = AccountsHost.NewEmail();
        await host.RegisterAndConfirmAsync(email);
        // Checked out as a guest (not signed in) with the same address.
        var (number, _) = await GuestOrderAsync(email);
        var client = host.Client((await host.LoginAsync(email)).AccessToken);

        var export = await (await client.GetAsync("/api/v1/account/export")).ReadAsync<PersonalDataExport>();
        // The guest order's contact comes decrypted from the person's vault.
        var order = Assert.Single(export.Orders, o => o.Number == number);
        Assert.Equal((email, "Ada Lovelace"), (order.Email, order.ShippingAddress.FullName));
        // The mail about it: what went to them and when (its content left the vault once it was sent).
        await Eventually.WaitUntilAsync(async () => (await (await client.GetAsync("/api/v1/account/export")).ReadAsync<PersonalDataExport>())
            .Emails.Any(m => m.Template == "order-confirmation" && m.SentAt is not null), TimeSpan.FromSeconds(20), "the confirmation was sent");
        export = await (await client.GetAsync("/api/v1/account/export")).ReadAsync<PersonalDataExport>();
        var confirmation = Assert.Single(export.Emails, m => m.Template == "order-confirmation");
        Assert.Equal(email, confirmation.To);
        Assert.Contains(export.Emails, m => m.Template != "order-confirmation"); // the account's own mail (confirm address)
    }

    [Fact]
    public async Task An_unconfirmed_address_does_not_reach_anyone_elses_guest_orders()
    {
        var email = AccountsHost.NewEmail();
        var (number, _) = await GuestOrderAsync(email);
        var client = host.Client();
        // Registered, never confirmed: someone who merely typed the address.
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/api/v1/auth/register",
            new RegisterRequest(email, AccountsHost.Password, "Eve", null, false), Http.Json)).StatusCode);
        await using var conn = await host.Api.Db.OpenConnectionAsync();
        var userId = (await VaultPeople.UserIdAsync(host.Api.Services, host.Api.Db, email))!.Value;

        var staffExport = await (await host.Api.Admin().GetAsync($"/api/v1/admin/customers/{userId}/export")).ReadAsync<PersonalDataExport>();
        Assert.DoesNotContain(staffExport.Orders, o => o.Number == number);
        Assert.DoesNotContain(staffExport.Emails, m => m.Template == "order-confirmation");
    }

    [Fact]
    public async Task Erasure_anonymises_guest_orders_and_their_mail_but_keeps_the_tax_record()
    {
        var email = AccountsHost.NewEmail();
        var userId = await host.RegisterAndConfirmAsync(email);
        var (number, orderId) = await GuestOrderAsync(email);

        var erased = await (await host.Api.Admin().PostAsync($"/api/v1/admin/customers/{userId}/erase", null)).ReadAsync<Erasure>();
        Assert.Equal(userId, erased.UserId);

        await using var conn = await host.Api.Db.OpenConnectionAsync();
        var order = await conn.QuerySingleAsync<(string Number, string Text, long Total, long Tax, string ShipCountry, Guid PersonId, string PersonRegion)>(
            "select number, o::text, total, tax_total, ship_country, person_id, person_region from orders o where id = @orderId", new { orderId });
        // The tax record stays: number, amounts, destination country; the contact was never in core.
        Assert.Equal((number, "DE"), (order.Number, order.ShipCountry));
        Assert.DoesNotContain(email, order.Text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Lovelace", order.Text, StringComparison.Ordinal);
        Assert.True(order.Total > 0 && order.Tax > 0);
        // The erased person's key is gone, and with it the order's contact and addresses.
        var vault = host.Api.Services.GetRequiredService<Headless.Api.Platform.Vaults.PersonalDataVault>();
        Assert.Null(await vault.GetAsync(new Headless.Api.Platform.Vaults.PersonRef(order.PersonId, order.PersonRegion)));
        var shown = await (await host.Api.Admin().GetAsync($"/api/v1/admin/orders/{orderId}")).ReadAsync<Contracts.Commerce.Order>();
        Assert.Equal(number, shown.Number);
        Assert.DoesNotContain(email, shown.Email, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>("""
            select (select count(*) from outbox where payload::text ilike @pattern)
                 + (select count(*) from orders o where o::text ilike @pattern or (o::text ilike '%Lovelace%' and id = @orderId))
            """, new { pattern = "%" + email + "%", orderId }));
    }
}
