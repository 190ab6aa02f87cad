using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Headless.Api.Features.Payments.Stripe;
using Headless.Contracts.Commerce;
using Headless.Tests.Infrastructure;
using StripeNet = Stripe;

namespace Headless.Tests.Payments;

/// <summary>Stripe's signed webhook events against the API, in every order with the browser's return,
/// signed by our own HMAC code (the API checks them with Stripe.net's).</summary>
public sealed class StripeWebhookTests(StripeHost host) : IClassFixture<StripeHost>
{
    private StripeStandIn Stripe => host.Stripe;

    [Fact]
    public async Task The_webhook_before_the_browser_pays_the_order_once_even_when_both_come_twice()
    {
        var (checkout, sku, _) = await host.CheckOutAsync(stock: 10, quantity: 2);
        var api = host.CreateClient();
        var succeeded = Stripe.Event("payment_intent.succeeded", Stripe.SucceedIntent(checkout.Payment.PaymentIntentId));

        Assert.Equal(HttpStatusCode.NoContent, (await Stripe.SendAsync(api, succeeded)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Stripe.SendAsync(api, succeeded)).StatusCode);
        Assert.Equal("paid", (await (await StripeHost.ConfirmAsync(api, checkout)).ReadAsync<Order>()).Status);
        Assert.Equal("paid", (await (await StripeHost.ConfirmAsync(api, checkout)).ReadAsync<Order>()).Status);

        await AssertPaidOnceAsync(checkout, sku, onHandBefore: 10, quantity: 2);
        Assert.Equal(1, await host.StripeEventsAsync(succeeded["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task The_browser_before_the_webhook_pays_the_order_once_even_when_both_come_twice()
    {
        var (checkout, sku, _) = await host.CheckOutAsync(stock: 10, quantity: 3);
        var api = host.CreateClient();

        // Back from Stripe before paying: nothing changes.
        Assert.Equal("pending_payment", (await (await StripeHost.ConfirmAsync(api, checkout)).ReadAsync<Order>()).Status);
        Assert.Equal((10, 3), await host.StockAsync(sku));

        var intent = Stripe.SucceedIntent(checkout.Payment.PaymentIntentId);
        Assert.Equal("paid", (await (await StripeHost.ConfirmAsync(api, checkout)).ReadAsync<Order>()).Status);
        Assert.Equal("paid", (await (await StripeHost.ConfirmAsync(api, checkout)).ReadAsync<Order>()).Status);
        var succeeded = Stripe.Event("payment_intent.succeeded", intent);
        Assert.Equal(HttpStatusCode.NoContent, (await Stripe.SendAsync(api, succeeded)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Stripe.SendAsync(api, succeeded)).StatusCode);
        // Stripe may also deliver the same news as another event.
        Assert.Equal(HttpStatusCode.NoContent, (await Stripe.SendAsync(api, Stripe.Event("payment_intent.succeeded", intent))).StatusCode);

        await AssertPaidOnceAsync(checkout, sku, onHandBefore: 10, quantity: 3);
    }

    [Fact]
    public async Task The_webhook_and_the_browser_racing_pay_the_order_once()
    {
        for (var round = 0; round < 3; round++)
        {
            var (checkout, sku, _) = await host.CheckOutAsync(stock: 10, quantity: 1);
            var intent = Stripe.SucceedIntent(checkout.Payment.PaymentIntentId);
            var succeeded = Stripe.Event("payment_intent.succeeded", intent);
            var again = Stripe.Event("payment_intent.succeeded", intent);

            var responses = await Task.WhenAll(
                Stripe.SendAsync(host.CreateClient(), succeeded),
                StripeHost.ConfirmAsync(host.CreateClient(), checkout),
                Stripe.SendAsync(host.CreateClient(), succeeded),
                StripeHost.ConfirmAsync(host.CreateClient(), checkout),
                Stripe.SendAsync(host.CreateClient(), again),
                StripeHost.ConfirmAsync(host.CreateClient(), checkout));

            Assert.All(responses, r => Assert.True(r.IsSuccessStatusCode, $"{r.RequestMessage!.RequestUri}: {(int)r.StatusCode}"));
            await AssertPaidOnceAsync(checkout, sku, onHandBefore: 10, quantity: 1);
        }
    }

    [Fact]
    public async Task Forged_stale_malformed_missing_and_altered_signatures_are_refused_and_change_nothing()
    {
        var (checkout, sku, _) = await host.CheckOutAsync(stock: 10, quantity: 2);
        var api = host.CreateClient();
        var succeeded = Stripe.Event("payment_intent.succeeded", Stripe.SucceedIntent(checkout.Payment.PaymentIntentId));
        var eventId = succeeded["id"]!.GetValue<string>();
        var eventsBefore = await host.OrderEventsAsync(checkout.Order.Id);

        var refusals = new (string What, WebhookSend Send, string Type)[]
        {
            ("forged", new WebhookSend { Secret = "whsec_someone_else" }, "webhook-signature"),
            ("stale", new WebhookSend { SignedAt = DateTimeOffset.UtcNow.AddMinutes(-10) }, "webhook-stale"),
            ("from the future", new WebhookSend { SignedAt = DateTimeOffset.UtcNow.AddMinutes(10) }, "webhook-stale"),
            ("malformed", new WebhookSend { RawHeader = "t=yesterday,v1=not-hex" }, "webhook-signature"),
            ("no v1", new WebhookSend { RawHeader = $"t={DateTimeOffset.UtcNow.ToUnixTimeSeconds()},v0=abc" }, "webhook-signature"),
            ("missing", new WebhookSend { OmitHeader = true }, "webhook-signature"),
            ("altered", new WebhookSend { AlterBodyAfterSigning = b => b.Replace("\"succeeded\"", "\"succeeded\" ", StringComparison.Ordinal) }, "webhook-signature"),
        };
        foreach (var (what, send, type) in refusals)
        {
            var response = await Stripe.SendAsync(api, succeeded, send);
            var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
            Assert.True(problem["type"]!.GetValue<string>().EndsWith("/" + type, StringComparison.Ordinal), $"{what}: {problem}");

            var row = await host.OrderAsync(checkout.Order.Id);
            Assert.True(row is { Status: "pending_payment", Reservation: "held" }, $"{what}: the order is {row.Status}");
            Assert.Equal(0, await host.StripeEventsAsync(eventId));
            Assert.Equal(0, await host.PaidEventsAsync(checkout.Order.Id));
            Assert.Equal(eventsBefore, await host.OrderEventsAsync(checkout.Order.Id));
            Assert.Equal((10, 2), await host.StockAsync(sku));
        }

        // During a secret roll Stripe sends several v1 signatures: one matching is enough.
        Assert.Equal(HttpStatusCode.NoContent, (await Stripe.SendAsync(api, succeeded, new WebhookSend { ExtraWrongSignature = true })).StatusCode);
        await AssertPaidOnceAsync(checkout, sku, onHandBefore: 10, quantity: 2);
    }

    [Fact]
    public async Task A_payment_failure_keeps_the_order_pending_records_why_and_a_replay_records_nothing_more()
    {
        var (checkout, sku, _) = await host.CheckOutAsync(stock: 10, quantity: 2);
        var api = host.CreateClient();
        var failed = Stripe.Event("payment_intent.payment_failed", Stripe.FailIntent(checkout.Payment.PaymentIntentId, "Your card was declined."));
        var eventsBefore = await host.OrderEventsAsync(checkout.Order.Id);

        Assert.Equal(HttpStatusCode.NoContent, (await Stripe.SendAsync(api, failed)).StatusCode);

        var row = await host.OrderAsync(checkout.Order.Id);
        Assert.Equal(("pending_payment", "held", "requires_payment_method", "Your card was declined."), (row.Status, row.Reservation, row.PaymentStatus, row.LastError));
        Assert.Equal(eventsBefore + 1, await host.OrderEventsAsync(checkout.Order.Id));
        Assert.Equal(1, await host.CountAsync("select count(*) from order_events where order_id = @id and note like '%Your card was declined.%'", new { id = checkout.Order.Id }));
        Assert.Equal((10, 2), await host.StockAsync(sku));

        // The same event again (Stripe retries, or someone replays a captured one while its signature is fresh).
        Assert.Equal(HttpStatusCode.NoContent, (await Stripe.SendAsync(api, failed)).StatusCode);
        Assert.Equal(eventsBefore + 1, await host.OrderEventsAsync(checkout.Order.Id));
        Assert.Equal(1, await host.StripeEventsAsync(failed["id"]!.GetValue<string>()));

        var order = await (await StripeHost.ConfirmAsync(api, checkout)).ReadAsync<Order>();
        Assert.Equal(("pending_payment", "requires_payment_method"), (order.Status, order.PaymentStatus));

        // The shopper tries another card: paid after all.
        Assert.Equal(HttpStatusCode.NoContent, (await Stripe.SendAsync(api, Stripe.Event("payment_intent.succeeded", Stripe.SucceedIntent(checkout.Payment.PaymentIntentId)))).StatusCode);
        await AssertPaidOnceAsync(checkout, sku, onHandBefore: 10, quantity: 2);
    }

    [Fact]
    public async Task A_canceled_intent_cancels_the_order_and_releases_its_stock()
    {
        var (checkout, sku, _) = await host.CheckOutAsync(stock: 7, quantity: 3);
        var api = host.CreateClient();
        Assert.Equal((7, 3), await host.StockAsync(sku));

        var canceled = Stripe.Event("payment_intent.canceled", Stripe.CancelIntent(checkout.Payment.PaymentIntentId));
        Assert.Equal(HttpStatusCode.NoContent, (await Stripe.SendAsync(api, canceled)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Stripe.SendAsync(api, Stripe.Event("payment_intent.canceled", Stripe.Intent(checkout.Payment.PaymentIntentId)))).StatusCode);

        var row = await host.OrderAsync(checkout.Order.Id);
        Assert.Equal(("canceled", "released", "canceled"), (row.Status, row.Reservation, row.PaymentStatus));
        Assert.Equal((7, 0), await host.StockAsync(sku));
        Assert.Equal(1, await host.CountAsync("select count(*) from outbox where topic = 'order.canceled' and aggregate_id = @id", new { id = checkout.Order.Id.ToString() }));
        Assert.Equal(0, await host.PaidEventsAsync(checkout.Order.Id));
    }

    [Fact]
    public async Task Money_arriving_after_the_order_was_canceled_is_refunded_and_the_stock_stays_released()
    {
        var (checkout, sku, _) = await host.CheckOutAsync(stock: 5, quantity: 1);
        var api = host.CreateClient();
        var pi = checkout.Payment.PaymentIntentId;
        // Stripe reported the intent canceled (an expiry the shopper's bank then overrode, say).
        var canceledView = Stripe.Intent(pi);
        canceledView["status"] = "canceled";
        Assert.Equal(HttpStatusCode.NoContent, (await Stripe.SendAsync(api, Stripe.Event("payment_intent.canceled", canceledView))).StatusCode);
        Assert.Equal("canceled", (await host.OrderAsync(checkout.Order.Id)).Status);

        Assert.Equal(HttpStatusCode.NoContent, (await Stripe.SendAsync(api, Stripe.Event("payment_intent.succeeded", Stripe.SucceedIntent(pi)))).StatusCode);

        var refund = Assert.Single(Stripe.RefundsAskedFor(pi));
        Assert.Equal(checkout.Order.Totals.Total.Amount.ToString(System.Globalization.CultureInfo.InvariantCulture), refund.Form["amount"]);
        Assert.Equal(200, refund.Status);
        var row = await host.OrderAsync(checkout.Order.Id);
        Assert.Equal(("canceled", "released", row.Total), (row.Status, row.Reservation, row.RefundedTotal));
        Assert.Equal((5, 0), await host.StockAsync(sku));
        Assert.Equal(0, await host.PaidEventsAsync(checkout.Order.Id));
        Assert.Equal(0, await host.ConfirmationEmailsAsync(checkout.Order.Number));
    }

    [Fact]
    public async Task A_payment_of_less_than_the_order_total_does_not_pay_the_order()
    {
        var (checkout, sku, _) = await host.CheckOutAsync(stock: 10, quantity: 2);
        var api = host.CreateClient();
        var underpaid = Stripe.SucceedIntent(checkout.Payment.PaymentIntentId, amountReceived: checkout.Order.Totals.Total.Amount - 1);

        Assert.Equal(HttpStatusCode.NoContent, (await Stripe.SendAsync(api, Stripe.Event("payment_intent.succeeded", underpaid))).StatusCode);

        var row = await host.OrderAsync(checkout.Order.Id);
        Assert.Equal(("pending_payment", "held"), (row.Status, row.Reservation));
        Assert.Equal((10, 2), await host.StockAsync(sku));
        Assert.Equal(0, await host.PaidEventsAsync(checkout.Order.Id));
        Assert.Equal(1, await host.CountAsync("select count(*) from order_events where order_id = @id and note like '%does not match%'", new { id = checkout.Order.Id }));
    }

    [Fact]
    public async Task A_refund_made_in_stripes_dashboard_catches_the_order_up()
    {
        var (checkout, _, _) = await host.CheckOutAsync(stock: 10, quantity: 1);
        var api = host.CreateClient();
        var pi = checkout.Payment.PaymentIntentId;
        Assert.Equal(HttpStatusCode.NoContent, (await Stripe.SendAsync(api, Stripe.Event("payment_intent.succeeded", Stripe.SucceedIntent(pi)))).StatusCode);
        var total = checkout.Order.Totals.Total.Amount;

        var partly = Stripe.Event("charge.refunded", Stripe.RefundInDashboard(pi, 500));
        Assert.Equal(500, partly["data"]!["object"]!["amount_refunded"]!.GetValue<long>());
        Assert.Equal(pi, partly["data"]!["object"]!["payment_intent"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NoContent, (await Stripe.SendAsync(api, partly)).StatusCode);
        var row = await host.OrderAsync(checkout.Order.Id);
        Assert.Equal(("partially_refunded", 500L), (row.Status, row.RefundedTotal));
        Assert.Equal(1, await host.CountAsync("select count(*) from refunds where order_id = @id", new { id = checkout.Order.Id }));

        // The same state delivered again as another event changes nothing.
        Assert.Equal(HttpStatusCode.NoContent, (await Stripe.SendAsync(api, Stripe.Event("charge.refunded", partly["data"]!["object"]!.AsObject()))).StatusCode);
        Assert.Equal(500, (await host.OrderAsync(checkout.Order.Id)).RefundedTotal);

        var fully = Stripe.Event("charge.refunded", Stripe.RefundInDashboard(pi, total - 500));
        Assert.Equal(HttpStatusCode.NoContent, (await Stripe.SendAsync(api, fully)).StatusCode);
        row = await host.OrderAsync(checkout.Order.Id);
        Assert.Equal(("refunded", total), (row.Status, row.RefundedTotal));
        Assert.Equal(2, await host.CountAsync("select count(*) from refunds where order_id = @id", new { id = checkout.Order.Id }));
        Assert.Equal(total, await host.CountAsync("select sum(amount) from refunds where order_id = @id", new { id = checkout.Order.Id }));
        // The API itself asked Stripe for no refund.
        Assert.Empty(Stripe.RefundsAskedFor(pi));
    }

    [Fact]
    public async Task Events_of_other_types_are_acknowledged_and_recorded_once()
    {
        var api = host.CreateClient();
        var evt = Stripe.Event("customer.created", new JsonObject { ["id"] = StripeStandIn.NewId("cus_"), ["object"] = "customer" });
        Assert.Equal(HttpStatusCode.NoContent, (await Stripe.SendAsync(api, evt)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Stripe.SendAsync(api, evt)).StatusCode);
        Assert.Equal(1, await host.StripeEventsAsync(evt["id"]!.GetValue<string>()));

        var notAnEvent = await Stripe.SendAsync(api, new JsonObject { ["hello"] = "world" });
        await notAnEvent.ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public void The_apis_signature_check_accepts_our_independent_signatures_and_refuses_the_rest()
    {
        const string json = """{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{}}}""";
        var body = Encoding.UTF8.GetBytes(json);
        var now = DateTimeOffset.UtcNow;
        var t = now.ToUnixTimeSeconds();
        var secret = StripeHost.WebhookSecret;
        StripeEvents.Result Check(string? header, string payload) => StripeEvents.Read(payload, header, secret, now).Result;

        Assert.Equal(StripeEvents.Result.Valid, Check(StripeStandIn.SignatureHeader(secret, t, body), json));
        Assert.Equal(StripeEvents.Result.Valid, Check(StripeStandIn.SignatureHeader(secret, t, body, extraWrongSignature: true), json));
        Assert.Equal(StripeEvents.Result.Valid, Check(StripeStandIn.SignatureHeader(secret, t - 299, body), json));
        Assert.Equal(StripeEvents.Result.Stale, Check(StripeStandIn.SignatureHeader(secret, t - 301, body), json));
        Assert.Equal(StripeEvents.Result.Stale, Check(StripeStandIn.SignatureHeader(secret, t + 301, body), json));
        Assert.Equal(StripeEvents.Result.BadSignature, Check(StripeStandIn.SignatureHeader("whsec_other", t, body), json));
        Assert.Equal(StripeEvents.Result.BadSignature, Check(StripeStandIn.SignatureHeader(secret, t, body), json + " "));
        Assert.Equal(StripeEvents.Result.BadSignature, Check($"v1={StripeStandIn.Signature(secret, t, body)}", json));
        Assert.Equal(StripeEvents.Result.BadSignature, Check($"t={t}", json));
        Assert.Equal(StripeEvents.Result.BadSignature, Check(null, json));
        Assert.Equal(StripeEvents.Result.BadSignature, Check($"t={t},v1=xyz", json));
        Assert.Equal(StripeEvents.Result.BadSignature, Check("garbage", json));

        // Signed (so from Stripe) but not an event: refused as such, never an exception.
        foreach (var payload in new[] { """{"hello":"world"}""", "[1]", "null", "not json", """{"id":5}""" })
        {
            Assert.Equal(StripeEvents.Result.NotAnEvent, Check(StripeStandIn.SignatureHeader(secret, t, Encoding.UTF8.GetBytes(payload)), payload));
        }

        // Stripe's documented example computation: HMAC-SHA256(secret, "t.payload"), hex; Stripe.net computes the same.
        Assert.Equal(
            Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.").Concat(body).ToArray())),
            StripeStandIn.Signature(secret, t, body));
        Assert.Equal(StripeNet.EventUtility.ComputeSignature(secret, t.ToString(System.Globalization.CultureInfo.InvariantCulture), json), StripeStandIn.Signature(secret, t, body));
    }

    [Fact]
    public async Task A_signed_event_whose_object_lacks_a_field_is_a_400_and_changes_nothing()
    {
        var (checkout, sku, _) = await host.CheckOutAsync(stock: 10, quantity: 2);
        var api = host.CreateClient();
        var intent = Stripe.SucceedIntent(checkout.Payment.PaymentIntentId);

        foreach (var field in new[] { "currency", "status", "id", "amount" })
        {
            var incomplete = intent.DeepClone().AsObject();
            incomplete.Remove(field);
            var evt = Stripe.Event("payment_intent.succeeded", incomplete);
            var problem = await (await Stripe.SendAsync(api, evt)).ProblemAsync(HttpStatusCode.BadRequest);
            Assert.True(problem["type"]!.GetValue<string>().EndsWith("/webhook-payload", StringComparison.Ordinal), $"without {field}: {problem}");
            Assert.Equal(0, await host.StripeEventsAsync(evt["id"]!.GetValue<string>()));
        }
        var noObject = Stripe.Event("charge.refunded", new JsonObject());
        await (await Stripe.SendAsync(api, noObject)).ProblemAsync(HttpStatusCode.BadRequest);

        var row = await host.OrderAsync(checkout.Order.Id);
        Assert.Equal(("pending_payment", "held"), (row.Status, row.Reservation));
        Assert.Equal((10, 2), await host.StockAsync(sku));
        Assert.Equal(0, await host.PaidEventsAsync(checkout.Order.Id));
    }

    [Fact]
    public async Task A_signed_refund_event_whose_charge_names_no_payment_intent_is_a_400_and_changes_nothing()
    {
        var (checkout, _, _) = await host.CheckOutAsync(stock: 10, quantity: 1);
        var pi = checkout.Payment.PaymentIntentId;
        Stripe.SucceedIntent(pi);
        (await StripeHost.ConfirmAsync(host.CreateClient(), checkout)).EnsureSuccessStatusCode();
        var charge = Stripe.RefundInDashboard(pi, 500);
        charge.Remove("payment_intent");
        var evt = Stripe.Event("charge.refunded", charge);

        var problem = await (await Stripe.SendAsync(host.CreateClient(), evt)).ProblemAsync(HttpStatusCode.BadRequest);

        Assert.EndsWith("/webhook-payload", problem["type"]!.GetValue<string>());
        Assert.Equal(0, await host.StripeEventsAsync(evt["id"]!.GetValue<string>()));
        Assert.Equal(("paid", 0L), ((await host.OrderAsync(checkout.Order.Id)).Status, (await host.OrderAsync(checkout.Order.Id)).RefundedTotal));
    }

    /// <summary>Stripe's published event and payment_intent, signed as Stripe signs them, read by the
    /// API's check (Stripe.net's EventUtility and types) into what an order needs.</summary>
    [SharedReferenceFact(SharedReference.StripeFixtures)]
    public void Stripes_published_event_with_its_payment_intent_is_read_by_stripe_net()
    {
        var resources = JsonNode.Parse(File.ReadAllText(SharedReference.PathOf(SharedReference.StripeFixtures)))!["resources"]!;
        var evt = resources["event"]!.DeepClone().AsObject();
        var example = resources["payment_intent"]!;
        evt["type"] = "payment_intent.succeeded";
        evt["data"] = new JsonObject { ["object"] = example.DeepClone() };
        var json = evt.ToJsonString();
        var now = DateTimeOffset.UtcNow;

        var (result, read) = StripeEvents.Read(json, StripeStandIn.SignatureHeader(StripeHost.WebhookSecret, now.ToUnixTimeSeconds(), Encoding.UTF8.GetBytes(json)), StripeHost.WebhookSecret, now);

        Assert.Equal(StripeEvents.Result.Valid, result);
        Assert.Equal(evt["id"]!.GetValue<string>(), read!.Id);
        Assert.StartsWith("evt_", read.Id);
        Assert.Equal("payment_intent.succeeded", read.Type);
        var pi = Assert.IsType<StripeNet.PaymentIntent>(read.Data.Object);
        var intent = StripeClient.ReadIntent(pi)!;
        Assert.Equal(example["id"]!.GetValue<string>(), intent.Id);
        Assert.StartsWith(intent.Id + "_secret_", intent.ClientSecret);
        Assert.Equal((example["status"]!.GetValue<string>(), example["amount"]!.GetValue<long>(), example["amount_received"]!.GetValue<long>()),
            (intent.Status, intent.Amount, intent.AmountReceived));
        Assert.Equal(example["currency"]!.GetValue<string>().ToUpperInvariant(), intent.Currency);
        Assert.Null(intent.LastError);
    }

    private async Task AssertPaidOnceAsync(CheckoutResult checkout, string sku, int onHandBefore, int quantity)
    {
        var row = await host.OrderAsync(checkout.Order.Id);
        Assert.Equal(("paid", "committed", "succeeded"), (row.Status, row.Reservation, row.PaymentStatus));
        Assert.Equal(1, await host.CountAsync("select count(*) from orders where id = @id and paid_at is not null", new { id = checkout.Order.Id }));
        Assert.Equal(1, await host.PaidEventsAsync(checkout.Order.Id));
        Assert.Equal(1, await host.ConfirmationEmailsAsync(checkout.Order.Number));
        Assert.Equal((onHandBefore - quantity, 0), await host.StockAsync(sku));
        Assert.Equal(1, await host.CountAsync("select count(*) from stock_movements where sku = @sku and reason like '% paid'", new { sku }));
        Assert.Equal(1, await host.CountAsync("select count(*) from order_events where order_id = @id and to_status = 'paid'", new { id = checkout.Order.Id }));
    }
}
