using System.Net;
using System.Text.Json;
using Headless.Api.Features.Orders;
using Headless.Api.Features.Payments;
using Headless.Api.Features.Payments.Stripe;
using Headless.Contracts.Commerce;
using Headless.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using StripeNet = Stripe;

namespace Headless.Tests.Payments;

/// <summary>Checkout, refunds and the reservation sweeper against a Stripe stand-in speaking Stripe's wire format.</summary>
public sealed class StripeCheckoutTests(StripeHost host) : IClassFixture<StripeHost>
{
    private StripeStandIn Stripe => host.Stripe;

    [Fact]
    public async Task Checkout_creates_one_form_encoded_payment_intent_for_the_order_total_and_a_replay_reuses_it()
    {
        var sku = await host.SkuAsync(stock: 10);
        var shopper = host.CreateClient();
        var cart = await StripeHost.CartAsync(shopper, sku, 2);
        var key = Guid.NewGuid().ToString();

        var checkout = await (await StripeHost.CheckoutAsync(shopper, StripeHost.CheckoutBody(cart.Token), key)).ReadAsync<CheckoutResult>(HttpStatusCode.Created);

        var create = Assert.Single(Stripe.IntentCreatesFor(cart.Id));
        Assert.StartsWith("application/x-www-form-urlencoded", create.ContentType);
        Assert.Equal("2026-10-28.endive", create.Header("Stripe-Version"));
        Assert.Equal("Bearer " + StripeHost.SecretKey, create.Header("Authorization"));
        Assert.False(string.IsNullOrWhiteSpace(create.Header("Idempotency-Key")));
        Assert.Equal(2 * 2500 + StripeHost.ShippingAmount, checkout.Order.Totals.Total.Amount);
        Assert.Equal(checkout.Order.Totals.Total.Amount.ToString(System.Globalization.CultureInfo.InvariantCulture), create.Form["amount"]);
        Assert.Equal("eur", create.Form["currency"]);
        Assert.Equal("true", create.Form["automatic_payment_methods[enabled]"]);
        Assert.Equal(200, create.Status);

        var intent = Stripe.Intent(checkout.Payment.PaymentIntentId);
        Assert.Equal("stripe", checkout.Payment.Provider);
        Assert.True(checkout.Payment.TestMode);
        Assert.Equal(StripeHost.PublishableKey, checkout.Payment.PublishableKey);
        Assert.Equal(intent["client_secret"]!.GetValue<string>(), checkout.Payment.ClientSecret);
        Assert.StartsWith(checkout.Payment.PaymentIntentId + "_secret_", checkout.Payment.ClientSecret);
        Assert.Equal("requires_payment_method", checkout.Payment.Status);
        Assert.Equal(checkout.Order.Totals.Total, checkout.Payment.Amount);
        var row = await host.OrderAsync(checkout.Order.Id);
        Assert.Equal(("pending_payment", "held", checkout.Order.Totals.Total.Amount, checkout.Payment.PaymentIntentId),
            (row.Status, row.Reservation, row.Total, row.PaymentRef));
        Assert.Equal((10, 2), await host.StockAsync(sku));

        var replay = await StripeHost.CheckoutAsync(shopper, StripeHost.CheckoutBody(cart.Token), key);
        var again = await replay.ReadAsync<CheckoutResult>(HttpStatusCode.Created);
        Assert.Equal(checkout.Order.Id, again.Order.Id);
        Assert.Equal(checkout.Payment.PaymentIntentId, again.Payment.PaymentIntentId);
        Assert.True(replay.Headers.Contains("Idempotent-Replayed"));
        Assert.Single(Stripe.IntentCreatesFor(cart.Id));
        Assert.Equal(1, Stripe.IntentCountFor(cart.Id));
        Assert.Equal(1, await host.CountAsync("select count(*) from orders where cart_id = @id", new { id = cart.Id }));
        Assert.Equal((10, 2), await host.StockAsync(sku));

        var otherBody = await StripeHost.CheckoutAsync(shopper, StripeHost.CheckoutBody(cart.Token, email: "grace@example.com"), key);
        await otherBody.ProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Single(Stripe.IntentCreatesFor(cart.Id));
    }

    [Fact]
    public async Task Concurrent_retries_of_one_checkout_make_one_order_and_one_intent()
    {
        var sku = await host.SkuAsync(stock: 10);
        var shopper = host.CreateClient();
        var cart = await StripeHost.CartAsync(shopper, sku, 1);
        var key = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => StripeHost.CheckoutAsync(shopper, StripeHost.CheckoutBody(cart.Token), key)));

        var created = responses.Where(r => r.StatusCode == HttpStatusCode.Created).ToList();
        Assert.NotEmpty(created);
        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Created, HttpStatusCode.Conflict }));
        var orderIds = await Task.WhenAll(created.Select(async r => (await r.ReadAsync<CheckoutResult>(HttpStatusCode.Created)).Order.Id));
        Assert.Single(orderIds.Distinct());
        Assert.Equal(1, Stripe.IntentCountFor(cart.Id));
        Assert.Equal(1, await host.CountAsync("select count(*) from orders where cart_id = @id", new { id = cart.Id }));
        Assert.Equal((10, 1), await host.StockAsync(sku));
    }

    /// <summary>Changed by issue 11: the order (and its stock reservation) is now created before Stripe is
    /// asked, so an outage leaves one order pending_payment without an intent, its stock held and its cart
    /// closed, rather than nothing at all; the retries continue that same order.</summary>
    [Fact]
    public async Task Stripe_down_at_checkout_is_a_503_that_leaves_one_pending_order_until_a_retry_succeeds()
    {
        var sku = await host.SkuAsync(stock: 5);
        var shopper = host.CreateClient();
        var cart = await StripeHost.CartAsync(shopper, sku, 1);
        var key = Guid.NewGuid().ToString();
        var ordersBefore = await host.CountAsync("select count(*) from orders");

        Stripe.FailNext(1);
        var down = await (await StripeHost.CheckoutAsync(shopper, StripeHost.CheckoutBody(cart.Token), key)).ProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.EndsWith("/payment-provider-unavailable", down["type"]!.GetValue<string>());
        await AssertOnePendingOrderAsync();

        Stripe.HangNext(1);
        var hung = await (await StripeHost.CheckoutAsync(shopper, StripeHost.CheckoutBody(cart.Token), key)).ProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.EndsWith("/payment-provider-unavailable", hung["type"]!.GetValue<string>());
        await AssertOnePendingOrderAsync();

        // Back up: the same key now checks out, the same order.
        var checkout = await (await StripeHost.CheckoutAsync(shopper, StripeHost.CheckoutBody(cart.Token), key)).ReadAsync<CheckoutResult>(HttpStatusCode.Created);
        Assert.Equal("pending_payment", checkout.Order.Status);
        Assert.Equal((5, 1), await host.StockAsync(sku));
        Assert.Equal(ordersBefore + 1, await host.CountAsync("select count(*) from orders"));

        async Task AssertOnePendingOrderAsync()
        {
            Assert.Equal(ordersBefore + 1, await host.CountAsync("select count(*) from orders"));
            Assert.Equal(1, await host.CountAsync("select count(*) from orders where cart_id = @id and status = 'pending_payment'", new { id = cart.Id }));
            Assert.Equal(0, await host.CountAsync("select count(*) from payments p join orders o on o.id = p.order_id where o.cart_id = @id", new { id = cart.Id }));
            Assert.Equal((5, 1), await host.StockAsync(sku));
        }
    }

    /// <summary>Stripe keeps a 500 that its endpoint produced under the Idempotency-Key and replays it for
    /// 24 hours (docs.stripe.com/api/idempotent_requests). The 503 tells the shopper to retry in a minute;
    /// that retry must be able to succeed once Stripe is back.</summary>
    [Fact]
    public async Task A_checkout_retried_after_stripe_answered_500_succeeds_once_stripe_is_back()
    {
        var sku = await host.SkuAsync(stock: 5);
        var shopper = host.CreateClient();
        var cart = await StripeHost.CartAsync(shopper, sku, 1);
        var key = Guid.NewGuid().ToString();

        Stripe.FailNext(1, savedUnderIdempotencyKey: true);
        await (await StripeHost.CheckoutAsync(shopper, StripeHost.CheckoutBody(cart.Token), key)).ProblemAsync(HttpStatusCode.ServiceUnavailable);
        // Changed by issue 11: the order exists and holds its unit while its payment is retried (was (5, 0)).
        Assert.Equal((5, 1), await host.StockAsync(sku));

        var retry = await StripeHost.CheckoutAsync(shopper, StripeHost.CheckoutBody(cart.Token), key);
        var creates = Stripe.IntentCreatesFor(cart.Id);
        Assert.True(retry.StatusCode == HttpStatusCode.Created,
            $"The retry got {(int)retry.StatusCode}: the API sent the same Stripe Idempotency-Key ({creates[^1].Header("Idempotency-Key")}) " +
            $"so Stripe replayed its saved 500 (Idempotent-Replayed). Keys sent: {string.Join(", ", creates.Select(c => c.Header("Idempotency-Key")).Distinct())}.");
    }

    [Fact]
    public async Task An_admin_refund_goes_to_stripe_once_per_idempotency_key_and_never_beyond_the_total()
    {
        var (checkout, _, _) = await host.CheckOutAsync(quantity: 1);
        var pi = checkout.Payment.PaymentIntentId;
        Stripe.SucceedIntent(pi);
        Assert.Equal("paid", (await (await StripeHost.ConfirmAsync(host.CreateClient(), checkout)).ReadAsync<Order>()).Status);
        var admin = host.Admin();
        var total = checkout.Order.Totals.Total.Amount;

        var first = await (await StripeHost.RefundAsync(admin, checkout.Order.Id, new RefundRequest(300, "scratched"), "refund-1")).ReadAsync<RefundResult>(HttpStatusCode.Created);
        var asked = Assert.Single(Stripe.RefundsAskedFor(pi));
        Assert.StartsWith("application/x-www-form-urlencoded", asked.ContentType);
        Assert.Equal("300", asked.Form["amount"]);
        Assert.Equal("2026-10-28.endive", asked.Header("Stripe-Version"));
        Assert.False(string.IsNullOrWhiteSpace(asked.Header("Idempotency-Key")));
        Assert.Equal(200, asked.Status);
        Assert.Equal("partially_refunded", first.Order.Status);
        Assert.Equal(300, first.Refund.Amount.Amount);
        Assert.Equal(1, await host.CountAsync("select count(*) from refunds where order_id = @id and amount = 300 and provider_ref like 're\\_%'", new { id = checkout.Order.Id }));

        var replay = await StripeHost.RefundAsync(admin, checkout.Order.Id, new RefundRequest(300, "scratched"), "refund-1");
        Assert.Equal(first.Refund.Id, (await replay.ReadAsync<RefundResult>(HttpStatusCode.Created)).Refund.Id);
        Assert.Single(Stripe.RefundsAskedFor(pi));

        await (await StripeHost.RefundAsync(admin, checkout.Order.Id, new RefundRequest(400, "scratched"), "refund-1")).ProblemAsync(HttpStatusCode.UnprocessableEntity);
        var tooLarge = await (await StripeHost.RefundAsync(admin, checkout.Order.Id, new RefundRequest(total, null), "refund-2")).ProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.EndsWith("/refund-too-large", tooLarge["type"]!.GetValue<string>());
        Assert.Single(Stripe.RefundsAskedFor(pi));

        var rest = await (await StripeHost.RefundAsync(admin, checkout.Order.Id, new RefundRequest(null, "returned"), "refund-3")).ReadAsync<RefundResult>(HttpStatusCode.Created);
        Assert.Equal((total - 300).ToString(System.Globalization.CultureInfo.InvariantCulture), Stripe.RefundsAskedFor(pi)[^1].Form["amount"]);
        Assert.Equal("refunded", rest.Order.Status);
        var row = await host.OrderAsync(checkout.Order.Id);
        Assert.Equal(("refunded", total), (row.Status, row.RefundedTotal));
        Assert.Equal(total, await host.CountAsync("select sum(amount) from refunds where order_id = @id", new { id = checkout.Order.Id }));
        Assert.Equal(2, Stripe.RefundsAskedFor(pi).Select(r => r.Header("Idempotency-Key")).Distinct().Count());
    }

    /// <summary>Our Idempotency-Key may be up to 255 characters; Stripe's also. The key the API sends
    /// Stripe must stay within Stripe's limit, whatever key the client sent.</summary>
    [Fact]
    public async Task A_refund_with_a_long_idempotency_key_still_reaches_stripe()
    {
        var (checkout, _, _) = await host.CheckOutAsync(quantity: 1);
        Stripe.SucceedIntent(checkout.Payment.PaymentIntentId);
        (await StripeHost.ConfirmAsync(host.CreateClient(), checkout)).EnsureSuccessStatusCode();
        var key = new string('k', 200);

        var response = await StripeHost.RefundAsync(host.Admin(), checkout.Order.Id, new RefundRequest(100, null), key);

        var sent = Stripe.RefundsAskedFor(checkout.Payment.PaymentIntentId).Select(r => r.Header("Idempotency-Key")!.Length).ToList();
        Assert.True(response.StatusCode == HttpStatusCode.Created,
            $"Expected 201, got {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}; Idempotency-Key lengths sent to Stripe: {string.Join(", ", sent)} (Stripe allows {StripeStandIn.MaxIdempotencyKeyLength}).");
    }

    [Fact]
    public async Task The_sweeper_cancels_an_expired_unpaid_intent_at_stripe_and_releases_the_stock()
    {
        var (checkout, sku, _) = await host.CheckOutAsync(stock: 6, quantity: 2);
        await host.ExpireAsync(checkout.Order.Id, TimeSpan.FromMinutes(1));

        var released = await host.Services.GetRequiredService<ReservationSweeper>().SweepAsync(CancellationToken.None);

        Assert.True(released >= 1);
        var cancel = Assert.Single(Stripe.RequestsTo("POST", $"/v1/payment_intents/{checkout.Payment.PaymentIntentId}/cancel"));
        Assert.Equal(200, cancel.Status);
        Assert.Equal("canceled", Stripe.Intent(checkout.Payment.PaymentIntentId)["status"]!.GetValue<string>());
        var row = await host.OrderAsync(checkout.Order.Id);
        Assert.Equal(("canceled", "released", "canceled"), (row.Status, row.Reservation, row.PaymentStatus));
        Assert.Equal((6, 0), await host.StockAsync(sku));
        Assert.Equal(0, await host.PaidEventsAsync(checkout.Order.Id));
    }

    [Fact]
    public async Task The_sweeper_marks_an_expired_order_paid_when_stripe_says_the_intent_succeeded()
    {
        var (checkout, sku, _) = await host.CheckOutAsync(stock: 6, quantity: 2);
        Stripe.SucceedIntent(checkout.Payment.PaymentIntentId);
        await host.ExpireAsync(checkout.Order.Id, TimeSpan.FromMinutes(1));

        await host.Services.GetRequiredService<ReservationSweeper>().SweepAsync(CancellationToken.None);

        var cancel = Assert.Single(Stripe.RequestsTo("POST", $"/v1/payment_intents/{checkout.Payment.PaymentIntentId}/cancel"));
        Assert.Equal(400, cancel.Status);
        Assert.Equal("payment_intent_unexpected_state", JsonDocument.Parse(cancel.Response).RootElement.GetProperty("error").GetProperty("code").GetString());
        var row = await host.OrderAsync(checkout.Order.Id);
        Assert.Equal(("paid", "committed", "succeeded"), (row.Status, row.Reservation, row.PaymentStatus));
        Assert.Equal((4, 0), await host.StockAsync(sku));
        Assert.Equal(1, await host.PaidEventsAsync(checkout.Order.Id));
        Assert.Equal(1, await host.ConfirmationEmailsAsync(checkout.Order.Number));
    }

    /// <summary>An intent Stripe does not know (404 resource_missing: test data deleted, keys of another
    /// account) must not stop the sweeper from releasing every other expired order behind it.</summary>
    [Fact]
    public async Task One_intent_stripe_does_not_know_does_not_block_the_sweep_of_other_orders()
    {
        var (lost, _, _) = await host.CheckOutAsync(stock: 3, quantity: 1);
        var (other, otherSku, _) = await host.CheckOutAsync(stock: 3, quantity: 1);
        Stripe.Forget(lost.Payment.PaymentIntentId);
        await host.ExpireAsync(lost.Order.Id, TimeSpan.FromMinutes(30));
        await host.ExpireAsync(other.Order.Id, TimeSpan.FromMinutes(1));

        var error = await Record.ExceptionAsync(() => host.Services.GetRequiredService<ReservationSweeper>().SweepAsync(CancellationToken.None));

        var row = await host.OrderAsync(other.Order.Id);
        Assert.True(row.Status == "canceled" && (await host.StockAsync(otherSku)).Reserved == 0,
            $"The other order is {row.Status} with its stock {row.Reservation}; the sweep {(error is null ? "returned" : $"threw {error.GetType().Name}: {error.Message}")}.");
    }

    [SharedReferenceFact(SharedReference.StripeFixtures)]
    public void StripeClient_reads_stripes_published_payment_intent()
    {
        using var fixtures = JsonDocument.Parse(File.ReadAllText(SharedReference.PathOf(SharedReference.StripeFixtures)));
        var example = fixtures.RootElement.GetProperty("resources").GetProperty("payment_intent");

        // Read by Stripe.net's own deserialiser, as the API reads Stripe's responses and events.
        var intent = StripeClient.ReadIntent(StripeNet.PaymentIntent.FromJson(example.GetRawText()))!;

        Assert.Equal(example.GetProperty("id").GetString(), intent.Id);
        Assert.StartsWith("pi_", intent.Id);
        Assert.StartsWith(intent.Id + "_secret_", intent.ClientSecret);
        Assert.Equal(example.GetProperty("status").GetString(), intent.Status);
        Assert.Equal(example.GetProperty("amount").GetInt64(), intent.Amount);
        Assert.Equal(example.GetProperty("amount_received").GetInt64(), intent.AmountReceived);
        Assert.Equal(example.GetProperty("currency").GetString()!.ToUpperInvariant(), intent.Currency);
        // Its last_payment_error has a type but no message: no error text is made up.
        Assert.Null(intent.LastError);
    }

    /// <summary>One version: what the API sends and reads (Stripe.net's pin) is what the stand-in speaks.</summary>
    [Fact]
    public void The_api_version_is_the_one_stripe_net_pins_and_the_stand_in_speaks()
    {
        Assert.Equal(StripeClient.ApiVersion, StripeNet.StripeConfiguration.ApiVersion);
        Assert.Equal(StripeClient.ApiVersion, StripeStandIn.ApiVersion);
    }

    [Fact]
    public async Task StripeClient_turns_stripe_errors_into_provider_exceptions_and_reads_declines()
    {
        using var http = new HttpClient();
        var client = new StripeClient(http, new PaymentsOptions.StripeOptions { SecretKey = StripeHost.SecretKey, ApiBase = Stripe.BaseUrl });
        var created = await client.CreateIntentAsync(new PaymentIntentCreate(1234, "EUR", Guid.NewGuid().ToString(), "direct", new Dictionary<string, string>()), CancellationToken.None);
        Stripe.FailIntent(created.Id, "Your card has insufficient funds.");

        var declined = await client.RetrieveIntentAsync(created.Id, CancellationToken.None);
        Assert.Equal(("requires_payment_method", "Your card has insufficient funds.", "EUR", 1234L), (declined.Status, declined.LastError, declined.Currency, declined.Amount));

        var missing = await Assert.ThrowsAsync<PaymentProviderException>(() => client.RetrieveIntentAsync("pi_unknown", CancellationToken.None));
        Assert.Equal(("resource_missing", false), (missing.Code, missing.Unavailable));
        var wrongKey = new StripeClient(http, new PaymentsOptions.StripeOptions { SecretKey = "sk_test_wrong", ApiBase = Stripe.BaseUrl });
        Assert.False((await Assert.ThrowsAsync<PaymentProviderException>(() => wrongKey.RetrieveIntentAsync(created.Id, CancellationToken.None))).Unavailable);
        Stripe.FailNext(1);
        Assert.True((await Assert.ThrowsAsync<PaymentProviderException>(() => client.RetrieveIntentAsync(created.Id, CancellationToken.None))).Unavailable);

        Stripe.SucceedIntent(created.Id);
        var canceled = await client.CancelIntentAsync(created.Id, CancellationToken.None);
        Assert.Equal("succeeded", canceled.Status);
    }
}
