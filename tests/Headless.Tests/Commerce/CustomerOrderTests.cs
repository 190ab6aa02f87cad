using System.Net;
using System.Net.Http.Json;
using Dapper;
using Headless.Contracts.Accounts;
using Headless.Contracts.Commerce;
using Headless.Tests.Accounts;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Commerce;

/// <summary>Signed-in shoppers: their own cart, a guest cart merged at sign-in, order history, the
/// order confirmation by real SMTP, and their orders in a GDPR export and erasure.</summary>
public sealed class CustomerOrderTests(AccountsHost host) : IClassFixture<AccountsHost>
{
    [Fact]
    public async Task A_guest_cart_merges_into_the_customers_cart_and_their_paid_order_shows_in_their_history_and_inbox()
    {
        await Shop.PricingAsync(host.Api);
        var admin = host.Api.Admin();
        var mug = await Shop.SkuAsync(admin, stock: 10);
        var tote = await Shop.SkuAsync(admin, stock: 10);
        var email = AccountsHost.NewEmail();
        await host.RegisterAndConfirmAsync(email);
        var customer = host.Client((await host.LoginAsync(email)).AccessToken);

        var mine = await (await customer.PostAsync("/api/v1/carts", null)).ReadAsync<Cart>(HttpStatusCode.Created);
        Assert.Equal("mine", mine.Token);
        (await customer.PostAsJsonAsync("/api/v1/carts/mine/lines", new AddCartLineRequest(mug, 1), Http.Json)).EnsureSuccessStatusCode();
        var again = await (await customer.PostAsync("/api/v1/carts", null)).ReadAsync<Cart>(HttpStatusCode.Created);
        Assert.Equal(mine.Id, again.Id); // one open cart per customer

        var guest = await Shop.NewCartAsync(host.Client(), (mug, 2), (tote, 1));
        var merged = await (await customer.PostAsJsonAsync("/api/v1/carts/mine/merge", new MergeCartRequest(guest.Token), Http.Json)).ReadAsync<Cart>();
        Assert.Equal([(mug, 3), (tote, 1)], merged.Lines.Select(l => (l.Sku, l.Quantity)).OrderBy(l => l.Sku != mug));
        Assert.Equal(HttpStatusCode.Conflict, (await host.Client().PostAsJsonAsync($"/api/v1/carts/{guest.Token}/lines", new AddCartLineRequest(mug, 1), Http.Json)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await customer.PostAsJsonAsync("/api/v1/carts/mine/merge", new MergeCartRequest(guest.Token), Http.Json)).StatusCode);
        // Another shopper cannot reach a customer's cart, token or not.
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client().GetAsync("/api/v1/carts/mine")).StatusCode);

        var checkout = await (await Shop.CheckoutAsync(customer, new { cartToken = "mine", shippingAddress = Shop.Address(), shippingMethod = "standard" }))
            .ReadAsync<CheckoutResult>(HttpStatusCode.Created);
        Assert.Equal(email, checkout.Order.Email);
        (await Shop.PayAsync(customer, checkout)).EnsureSuccessStatusCode();

        var history = await (await customer.GetAsync("/api/v1/account/orders")).ReadAsync<OrderPage>();
        var summary = Assert.Single(history.Items);
        Assert.Equal((checkout.Order.Number, "paid", 4), (summary.Number, summary.Status, summary.ItemCount));
        Assert.Equal("paid", (await (await customer.GetAsync($"/api/v1/orders/{checkout.Order.Id}")).ReadAsync<Order>()).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client().GetAsync($"/api/v1/orders/{checkout.Order.Id}")).StatusCode);

        var mail = await host.MailAsync(email, checkout.Order.Number);
        Assert.Contains("confirmed", mail.Subject, StringComparison.Ordinal);
        Assert.Contains(checkout.Order.Totals.Total.Amount / 100 + ".", mail.Text, StringComparison.Ordinal);
        Assert.Contains("Hauptstraße 1", mail.Text, StringComparison.Ordinal);

        var export = await (await customer.GetAsync("/api/v1/account/export")).ReadAsync<PersonalDataExport>();
        Assert.Equal([checkout.Order.Number], export.Orders.Select(o => o.Number));

        (await customer.PostAsJsonAsync("/api/v1/account/erase", new ReauthenticateRequest(AccountsHost.Password), Http.Json)).EnsureSuccessStatusCode();
        await using var conn = await host.Api.Db.OpenConnectionAsync();
        var row = await conn.QuerySingleAsync<(string Text, long Total, string Status)>(
            "select o::text, total, status from orders o where id = @id", new { id = checkout.Order.Id });
        Assert.DoesNotContain(email, row.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Hauptstraße", row.Text, StringComparison.Ordinal);
        Assert.Equal((checkout.Order.Totals.Total.Amount, "paid"), (row.Total, row.Status));
    }

    /// <summary>A signed-in customer's cart is "mine", which finds only an open cart: the retry of a checkout
    /// that closed it must still get the stored answer, as a guest's does.</summary>
    [Fact]
    public async Task A_signed_in_customer_retrying_a_finished_checkout_of_mine_gets_the_stored_answer()
    {
        await Shop.PricingAsync(host.Api);
        var sku = await Shop.SkuAsync(host.Api.Admin(), stock: 10);
        var email = AccountsHost.NewEmail();
        await host.RegisterAndConfirmAsync(email);
        var customer = host.Client((await host.LoginAsync(email)).AccessToken);
        (await customer.PostAsync("/api/v1/carts", null)).EnsureSuccessStatusCode();
        (await customer.PostAsJsonAsync("/api/v1/carts/mine/lines", new AddCartLineRequest(sku, 1), Http.Json)).EnsureSuccessStatusCode();
        var body = new { cartToken = "mine", shippingAddress = Shop.Address(), shippingMethod = "standard" };
        var key = Guid.NewGuid().ToString();
        var first = await (await Shop.CheckoutAsync(customer, body, key)).ReadAsync<CheckoutResult>(HttpStatusCode.Created);

        var retry = await Shop.CheckoutAsync(customer, body, key);

        var replayed = await retry.ReadAsync<CheckoutResult>(HttpStatusCode.Created);
        Assert.Equal((first.Order.Id, first.Payment.PaymentIntentId), (replayed.Order.Id, replayed.Payment.PaymentIntentId));
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        // One order, its contact in the customer's vault (the core row keeps no email).
        Assert.Equal(1, await Shop.CountAsync(host.Api, "select count(*) from orders where customer_id = (select customer_id from orders where id = @Id) and email is null",
            new { first.Order.Id }));
    }
}
