using System.Net;
using System.Net.Http.Json;
using Dapper;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Accounts;
using Headless.Tests.Commerce;
using Headless.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

using Erasure = Headless.Contracts.Accounts.Erasure;

namespace Headless.Tests.Accounts;

/// <summary>An account joins the person of a guest who ordered with its email only once the address is confirmed: until
/// then it only claims the address (vault migration 0003), so erasing an unconfirmed account cannot shred a guest's
/// order contact, and two accounts never share an address.</summary>
public sealed class EmailClaimTests(AccountsHost host) : IClassFixture<AccountsHost>
{
    private PersonalDataVault Vault => host.Api.Services.GetRequiredService<PersonalDataVault>();

    private async Task<Guid> GuestOrderAsync(string email)
    {
        await Shop.PricingAsync(host.Api);
        var guest = host.Client();
        var sku = await Shop.SkuAsync(host.Api.Admin(), stock: 5);
        var cart = await Shop.NewCartAsync(guest, (sku, 1));
        var checkout = await (await Shop.CheckoutAsync(guest, Shop.CheckoutBody(cart.Token, email: email))).ReadAsync<Contracts.Commerce.CheckoutResult>(HttpStatusCode.Created);
        return checkout.Order.Id;
    }

    private async Task<Guid> RegisterUnconfirmedAsync(string email)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await host.Client().PostAsJsonAsync("/api/v1/auth/register",
            new RegisterRequest(email, AccountsHost.Password, "Eve", "Typedit", false), Http.Json)).StatusCode);
        return (await VaultPeople.UserIdAsync(host.Api.Services, host.Api.Db, email))!.Value;
    }

    private async Task<(Guid PersonId, string Region)> PersonOfUserAsync(Guid userId)
    {
        await using var conn = await host.Api.Db.OpenConnectionAsync();
        return await conn.QuerySingleAsync<(Guid, string)>("select person_id, person_region from users where id = @userId", new { userId });
    }

    private async Task<(Guid PersonId, string Region)> PersonOfOrderAsync(Guid orderId)
    {
        await using var conn = await host.Api.Db.OpenConnectionAsync();
        return await conn.QuerySingleAsync<(Guid, string)>("select person_id, person_region from orders where id = @orderId", new { orderId });
    }

    [Fact]
    public async Task Erasing_an_unconfirmed_account_with_a_guests_email_leaves_the_guests_order_contact_readable()
    {
        var email = AccountsHost.NewEmail();
        var orderId = await GuestOrderAsync(email);
        var userId = await RegisterUnconfirmedAsync(email);

        // The account has a person of its own; the guest's person still owns the address.
        var account = await PersonOfUserAsync(userId);
        var guest = await PersonOfOrderAsync(orderId);
        Assert.NotEqual(guest.PersonId, account.PersonId);
        Assert.Equal(new PersonRef(guest.PersonId, guest.Region), await Vault.FindByEmailAsync(email));

        var erased = await (await host.Api.Admin().PostAsync($"/api/v1/admin/customers/{userId}/erase", null)).ReadAsync<Erasure>();
        Assert.Equal(userId, erased.UserId);

        Assert.Null(await Vault.GetAsync(new PersonRef(account.PersonId, account.Region)));
        var order = await (await host.Api.Admin().GetAsync($"/api/v1/admin/orders/{orderId}")).ReadAsync<Contracts.Commerce.Order>();
        Assert.False(order.ContactErased);
        Assert.Equal((email, "Ada Lovelace"), (order.Email, order.ShippingAddress.FullName));
    }

    [Fact]
    public async Task Confirming_the_email_joins_the_guests_person_and_the_guest_orders_show_in_the_accounts_export()
    {
        var email = AccountsHost.NewEmail();
        var orderId = await GuestOrderAsync(email);
        var userId = await host.RegisterAndConfirmAsync(email);

        var guest = await PersonOfOrderAsync(orderId);
        Assert.Equal(guest, await PersonOfUserAsync(userId));
        var auth = await host.LoginAsync(email);
        Assert.Equal(("Ada", "Lovelace"), (auth.User.FirstName, auth.User.LastName));
        var export = await (await host.Client(auth.AccessToken).GetAsync("/api/v1/account/export")).ReadAsync<PersonalDataExport>();
        var order = Assert.Single(export.Orders, o => o.Id == orderId);
        Assert.Equal(email, order.Email);
        Assert.Contains(export.OrderContacts, c => c.OrderId == orderId);
        // No claim is left on the address, and a second registration with it is the same account (no second one).
        Assert.Null(await Vault.FindClaimByEmailAsync(email));
        Assert.Equal(HttpStatusCode.Accepted, (await host.Client().PostAsJsonAsync("/api/v1/auth/register",
            new RegisterRequest(email.ToUpperInvariant(), AccountsHost.Password, "Other", null, false), Http.Json)).StatusCode);
        await using var conn = await host.Api.Db.OpenConnectionAsync();
        Assert.Equal(1, await conn.ExecuteScalarAsync<long>("select count(*) from users where person_id = @PersonId", new { guest.PersonId }));
        Assert.Null(await Vault.FindClaimByEmailAsync(email));
    }

    [Fact]
    public async Task Two_registrations_with_one_unconfirmed_email_make_one_account()
    {
        var email = AccountsHost.NewEmail();
        var first = await RegisterUnconfirmedAsync(email);
        var second = await RegisterUnconfirmedAsync(email.ToUpperInvariant());
        Assert.Equal(first, second);
        var claimant = await Vault.FindClaimByEmailAsync(email);
        Assert.NotNull(claimant);
        Assert.Null(await Vault.FindByEmailAsync(email));
    }
}
