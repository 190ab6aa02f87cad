using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Json;
using Headless.Contracts.Accounts;
using Headless.Contracts.Commerce;
using Headless.Tests.Accounts;
using Headless.Tests.Infrastructure;
using Headless.Tests.Privacy;
using Microsoft.Extensions.DependencyInjection;

namespace Headless.Tests.Commerce;

/// <summary>
/// A checkout's Idempotency-Key record is a reference to its order (issues 15 and 17): no answer with the shopper's
/// contact is stored beside the vault, and a retry rebuilds the answer from the order and the vault, equal to the
/// first answer field by field; after the customer's erasure it shows what a read of the order shows now.
/// </summary>
public sealed class CheckoutReplayTests(AccountsHost host) : IClassFixture<AccountsHost>
{
    [Fact]
    public async Task A_guest_checkout_retried_gets_the_first_answer_back_field_by_field_and_the_record_holds_no_answer()
    {
        await Shop.PricingAsync(host.Api);
        var admin = host.Api.Admin();
        // Two lines added in the reverse of SKU order: the answer lists them the same way the first time and on replay.
        var (first, second) = (await Shop.SkuAsync(admin, stock: 5), await Shop.SkuAsync(admin, stock: 5));
        var ordered = new[] { first, second }.Order(StringComparer.Ordinal).ToArray();
        var shopper = host.Client();
        var cart = await Shop.NewCartAsync(shopper, (ordered[1], 2), (ordered[0], 1));
        var email = AccountsHost.NewEmail();
        var body = new
        {
            cartToken = cart.Token,
            email,
            shippingAddress = Shop.Address(),
            billingAddress = new { fullName = "Ada Billing", line1 = "Rechnungsweg 9", city = "Hamburg", postalCode = "20095", country = "DE" },
            shippingMethod = "standard",
        };
        var key = Guid.NewGuid().ToString();

        var answer = await Shop.CheckoutAsync(shopper, body, key);
        Assert.Equal(HttpStatusCode.Created, answer.StatusCode);
        var retry = await Shop.CheckoutAsync(host.Client(), body, key);

        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(answer.Headers.Location, retry.Headers.Location);
        await AssertJsonEqualAsync(answer, retry);
        var placed = await answer.ReadAsync<CheckoutResult>(HttpStatusCode.Created);
        Assert.Equal(ordered, placed.Order.Lines.Select(l => l.Sku));
        Assert.NotEqual("", placed.Payment.ClientSecret);

        // The record: the order's id, its token data-protected, no response; nothing of the shopper's in plain text.
        await using var conn = await host.Api.Db.OpenConnectionAsync();
        var record = await conn.QuerySingleAsync<(int Status, string? Response, Guid? ResourceId, string? Secret)>(
            "select status_code, response, resource_id, secret from idempotency_keys where scope = 'checkout:guest' and key = @key", new { key });
        Assert.Equal((201, null, placed.Order.Id), (record.Status, record.Response, record.ResourceId));
        Assert.NotNull(record.Secret);
        Assert.DoesNotContain(placed.OrderToken, record.Secret, StringComparison.Ordinal);
        var hits = await PlainTextScan.ScanAsync([("core", host.Api.OwnerConnectionString)], [email, "Rechnungsweg 9", placed.OrderToken]);
        Assert.True(hits.Count == 0, PlainTextScan.Describe(hits));
    }

    [Fact]
    public async Task A_signed_in_checkout_retried_gets_the_first_answer_and_an_erased_guests_retry_shows_the_order_as_erased()
    {
        await Shop.PricingAsync(host.Api);
        var sku = await Shop.SkuAsync(host.Api.Admin(), stock: 10);
        var email = AccountsHost.NewEmail();
        await host.RegisterAndConfirmAsync(email);
        var customer = host.Client((await host.LoginAsync(email)).AccessToken);
        (await customer.PostAsync("/api/v1/carts", null)).EnsureSuccessStatusCode();
        (await customer.PostAsJsonAsync("/api/v1/carts/mine/lines", new AddCartLineRequest(sku, 1), Http.Json)).EnsureSuccessStatusCode();
        var mine = new { cartToken = "mine", shippingAddress = Shop.Address(), shippingMethod = "standard" };
        var key = Guid.NewGuid().ToString();

        var answer = await Shop.CheckoutAsync(customer, mine, key);
        var retry = await Shop.CheckoutAsync(customer, mine, key);

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), (answer.StatusCode, retry.StatusCode));
        await AssertJsonEqualAsync(answer, retry);

        // The same person as a guest (same address), then erased: the guest's retry answers what the order is now.
        var guest = host.Client();
        var cart = await Shop.NewCartAsync(guest, (sku, 1));
        var guestKey = Guid.NewGuid().ToString();
        var body = Shop.CheckoutBody(cart.Token, email: email);
        var placed = await (await Shop.CheckoutAsync(guest, body, guestKey)).ReadAsync<CheckoutResult>(HttpStatusCode.Created);
        (await customer.PostAsJsonAsync("/api/v1/account/erase", new ReauthenticateRequest(AccountsHost.Password), Http.Json)).EnsureSuccessStatusCode();

        var afterErasure = await (await Shop.CheckoutAsync(host.Client(), body, guestKey)).ReadAsync<CheckoutResult>(HttpStatusCode.Created);

        Assert.True(afterErasure.Order.ContactErased);
        Assert.Equal(("", "", "DE"), (afterErasure.Order.Email, afterErasure.Order.ShippingAddress.Line1, afterErasure.Order.ShippingAddress.Country));
        Assert.Equal((placed.Order.Id, placed.Order.Number, placed.Order.Totals, placed.OrderToken, placed.Payment.PaymentIntentId),
            (afterErasure.Order.Id, afterErasure.Order.Number, afterErasure.Order.Totals, afterErasure.OrderToken, afterErasure.Payment.PaymentIntentId));
    }

    [Fact]
    public async Task A_record_the_release_before_stored_whole_is_still_replayed_and_a_different_body_is_still_refused()
    {
        await Shop.PricingAsync(host.Api);
        var sku = await Shop.SkuAsync(host.Api.Admin(), stock: 5);
        var shopper = host.Client();
        var cart = await Shop.NewCartAsync(shopper, (sku, 1));
        var body = Shop.CheckoutBody(cart.Token, email: AccountsHost.NewEmail());
        var key = Guid.NewGuid().ToString();
        var answer = await Shop.CheckoutAsync(shopper, body, key);
        var placed = await answer.ReadAsync<CheckoutResult>(HttpStatusCode.Created);
        // Rewrite the record as the release before this one wrote it: the whole answer, data-protected, no reference.
        var idempotency = host.Api.Services.GetRequiredService<Idempotency>();
        await using (var conn = await host.Api.Db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("update idempotency_keys set response = @response, resource_id = null, secret = null where scope = 'checkout:guest' and key = @key",
                new { key, response = idempotency.Protect(placed, ApiJsonContext.Default.CheckoutResult) });
        }

        var retry = await Shop.CheckoutAsync(shopper, body, key);
        var other = await Shop.CheckoutAsync(shopper, Shop.CheckoutBody(cart.Token, email: AccountsHost.NewEmail()), key);

        await AssertJsonEqualAsync(answer, retry);
        Assert.EndsWith("/idempotency-key-reused", (await other.ProblemAsync(HttpStatusCode.UnprocessableEntity))["type"]!.GetValue<string>());
    }

    private static async Task AssertJsonEqualAsync(HttpResponseMessage first, HttpResponseMessage replay)
    {
        var (a, b) = (JsonNode.Parse(await first.Content.ReadAsStringAsync())!, JsonNode.Parse(await replay.Content.ReadAsStringAsync())!);
        Assert.True(JsonNode.DeepEquals(a, b), $"The replay differs from the first answer:\nfirst:  {a.ToJsonString()}\nreplay: {b.ToJsonString()}");
    }
}
