using System.Net;
using Dapper;
using Headless.Api.Features.Orders;
using Headless.Contracts.Commerce;
using Headless.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Headless.Tests.Payments;

/// <summary>
/// Checkout, refunds and cancellations never wait on Stripe while they hold stock, a row lock or an open
/// transaction; Stripe's failures become our own problems (no Stripe text), and a failure leaves a state
/// that a retry with the same Idempotency-Key completes. Stripe is the stand-in, made to fail.
/// </summary>
public sealed class PaymentOutsideTransactionTests(StripeHost host) : IClassFixture<StripeHost>
{
    private StripeStandIn Stripe => host.Stripe;

    [Fact]
    public async Task Fifty_checkouts_racing_for_five_units_ask_stripe_for_exactly_five_payment_intents()
    {
        var sku = await host.SkuAsync(stock: 5);
        var carts = new List<Cart>();
        for (var i = 0; i < 50; i++)
        {
            carts.Add(await StripeHost.CartAsync(host.CreateClient(), sku, 1));
        }

        // Fifty shoppers, an email each (one guest's checkouts at once queue on their one vault row).
        var responses = await Task.WhenAll(carts.Select((c, i) =>
            StripeHost.CheckoutAsync(host.CreateClient(), StripeHost.CheckoutBody(c.Token, $"racer{i}@example.com"), Guid.NewGuid().ToString())));

        Assert.Equal(5, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
        {
            Assert.EndsWith("/out-of-stock", (await refused.ProblemAsync(HttpStatusCode.Conflict))["type"]!.GetValue<string>());
        }
        // Losers of the race never reached the payment provider.
        Assert.Equal(5, carts.Sum(c => Stripe.IntentCreatesFor(c.Id).Count));
        Assert.Equal((5, 5), await host.StockAsync(sku));
    }

    [Fact]
    public async Task Checkout_asks_stripe_for_the_intent_after_the_order_committed_with_no_stock_row_locked()
    {
        var (cart, sku, key) = await CartAsync();
        var seen = new List<(long Orders, bool StockLocked)>();
        Stripe.OnRequest = async request =>
        {
            if (request.Path != "/v1/payment_intents" || request.Form.GetValueOrDefault("metadata[cart_id]") != cart.Id.ToString())
            {
                return;
            }
            await using var conn = await host.Db.OpenConnectionAsync();
            await using var tx = await conn.BeginTransactionAsync();
            var orders = await conn.ExecuteScalarAsync<long>("select count(*) from orders where cart_id = @id", new { id = cart.Id }, tx);
            bool locked;
            try
            {
                await conn.ExecuteAsync("select 1 from inventory where sku = @sku for update nowait", new { sku }, tx);
                locked = false;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
            {
                locked = true;
            }
            lock (seen)
            {
                seen.Add((orders, locked));
            }
        };

        await (await CheckoutAsync(cart, key)).ReadAsync<CheckoutResult>(HttpStatusCode.Created);

        Stripe.OnRequest = null;
        Assert.Equal([(1L, false)], seen);
    }

    [Fact]
    public async Task Stripe_500_leaves_the_order_pending_with_its_stock_and_a_retry_attaches_an_intent_to_the_same_order()
    {
        var (cart, sku, key) = await CartAsync();

        Stripe.FailNext(1, savedUnderIdempotencyKey: true);
        var failed = await CheckoutAsync(cart, key);
        var problem = await failed.ProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.EndsWith("/payment-provider-unavailable", problem["type"]!.GetValue<string>());
        Assert.True(failed.Headers.RetryAfter is not null, "A 503 says when to retry (Retry-After).");
        AssertNoStripeText(problem, "unknown error");
        var order = await PendingOrderWithoutIntentAsync(cart);
        Assert.Equal((5, 1), await host.StockAsync(sku));

        var retried = await (await CheckoutAsync(cart, key)).ReadAsync<CheckoutResult>(HttpStatusCode.Created);

        Assert.Equal(order, retried.Order.Id);
        Assert.StartsWith("pi_", retried.Payment.PaymentIntentId);
        Assert.Equal(retried.Payment.PaymentIntentId, (await host.OrderAsync(order)).PaymentRef);
        Assert.Equal(1, Stripe.IntentCountFor(cart.Id));
        Assert.Equal(1, await host.CountAsync("select count(*) from orders where cart_id = @id", new { id = cart.Id }));
        Assert.Equal((5, 1), await host.StockAsync(sku));
        // And from then on the same key replays that answer.
        var replay = await (await CheckoutAsync(cart, key)).ReadAsync<CheckoutResult>(HttpStatusCode.Created);
        Assert.Equal((order, retried.Payment.PaymentIntentId), (replay.Order.Id, replay.Payment.PaymentIntentId));
    }

    [Fact]
    public async Task Stripe_idempotency_key_in_use_is_our_409_to_retry_later_not_a_refusal()
    {
        var (cart, _, key) = await CartAsync();

        Stripe.AnswerNextWith(409, "idempotency_error", "idempotency_key_in_use",
            "There is currently another in-progress request using this Stripe Idempotency-Key (that probably means you submitted twice).");
        var busy = await CheckoutAsync(cart, key);
        var problem = await busy.ProblemAsync(HttpStatusCode.Conflict);
        Assert.EndsWith("/payment-in-progress", problem["type"]!.GetValue<string>());
        Assert.True(busy.Headers.RetryAfter is not null);
        AssertNoStripeText(problem, "in-progress request");
        var order = await PendingOrderWithoutIntentAsync(cart);

        var retried = await (await CheckoutAsync(cart, key)).ReadAsync<CheckoutResult>(HttpStatusCode.Created);
        Assert.Equal(order, retried.Order.Id);
        // The in-use answer was not Stripe's last word on that key: the retry asked with the same one.
        Assert.Single(Stripe.IntentCreatesFor(cart.Id).Select(r => r.Header("Idempotency-Key")).Distinct());
    }

    [Fact]
    public async Task A_stripe_card_error_is_our_402_and_an_invalid_request_our_422_neither_with_stripes_words()
    {
        var (cart, _, key) = await CartAsync();
        Stripe.AnswerNextWith(402, "card_error", "card_declined", "Your card was declined. Internal ref acct_1Secret.");
        var declined = await (await CheckoutAsync(cart, key)).ProblemAsync(HttpStatusCode.PaymentRequired);
        Assert.EndsWith("/card-declined", declined["type"]!.GetValue<string>());
        AssertNoStripeText(declined, "acct_1Secret");

        var (other, _, otherKey) = await CartAsync();
        Stripe.AnswerNextWith(400, "invalid_request_error", "amount_too_small", "Amount must be at least €0.50 eur; see param amount of acct_1Secret.");
        var invalid = await (await CheckoutAsync(other, otherKey)).ProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.EndsWith("/payment-refused", invalid["type"]!.GetValue<string>());
        AssertNoStripeText(invalid, "acct_1Secret");
        AssertNoStripeText(invalid, "Amount must be");

        // Both orders wait for their payments; the retries continue them.
        Assert.Equal(await PendingOrderWithoutIntentAsync(cart), (await (await CheckoutAsync(cart, key)).ReadAsync<CheckoutResult>(HttpStatusCode.Created)).Order.Id);
        Assert.Equal(await PendingOrderWithoutIntentAsync(other), (await (await CheckoutAsync(other, otherKey)).ReadAsync<CheckoutResult>(HttpStatusCode.Created)).Order.Id);
    }

    [Fact]
    public async Task A_timeout_is_a_503_and_the_retry_asks_stripe_again_under_the_same_key_for_the_same_order()
    {
        var (cart, _, key) = await CartAsync();

        Stripe.HangNext(1);
        var timedOut = await CheckoutAsync(cart, key);
        await timedOut.ProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.True(timedOut.Headers.RetryAfter is not null);
        var order = await PendingOrderWithoutIntentAsync(cart);

        var retried = await (await CheckoutAsync(cart, key)).ReadAsync<CheckoutResult>(HttpStatusCode.Created);

        Assert.Equal(order, retried.Order.Id);
        var creates = Stripe.IntentCreatesFor(cart.Id);
        Assert.Equal(2, creates.Count);
        // Had Stripe created the intent before we gave up, the same key would have answered that intent.
        Assert.Single(creates.Select(c => c.Header("Idempotency-Key")).Distinct());
    }

    [Fact]
    public async Task An_order_whose_payment_was_never_set_up_is_released_by_the_sweeper_without_asking_stripe()
    {
        var (cart, sku, key) = await CartAsync();
        Stripe.FailNext(1);
        await (await CheckoutAsync(cart, key)).ProblemAsync(HttpStatusCode.ServiceUnavailable);
        var order = await PendingOrderWithoutIntentAsync(cart);
        var requestsBefore = Stripe.Requests.Count;
        await host.ExpireAsync(order, TimeSpan.FromMinutes(1));

        await host.Services.GetRequiredService<ReservationSweeper>().SweepAsync(CancellationToken.None);

        Assert.Equal("canceled", await StatusAsync(order));
        Assert.Equal((5, 0), await host.StockAsync(sku));
        Assert.Equal(requestsBefore, Stripe.Requests.Count);
        // A retry now learns the order is gone, rather than paying for released stock.
        Assert.EndsWith("/checkout-expired", (await (await CheckoutAsync(cart, key)).ProblemAsync(HttpStatusCode.Conflict))["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_processing_payment_keeps_its_reservation_through_the_sweep_and_is_paid_when_it_settles()
    {
        var (checkout, sku, _) = await host.CheckOutAsync(stock: 6, quantity: 2);
        var pi = checkout.Payment.PaymentIntentId;
        var processing = Stripe.ProcessIntent(pi);
        (await Stripe.SendAsync(host.CreateClient(), Stripe.Event("payment_intent.processing", processing))).EnsureSuccessStatusCode();
        Assert.Equal("processing", (await host.OrderAsync(checkout.Order.Id)).PaymentStatus);
        await host.ExpireAsync(checkout.Order.Id, TimeSpan.FromMinutes(1));

        await host.Services.GetRequiredService<ReservationSweeper>().SweepAsync(CancellationToken.None);

        var row = await host.OrderAsync(checkout.Order.Id);
        Assert.Equal(("pending_payment", "held", "processing"), (row.Status, row.Reservation, row.PaymentStatus));
        Assert.Equal((6, 2), await host.StockAsync(sku));
        Assert.Empty(Stripe.RequestsTo("POST", $"/v1/payment_intents/{pi}/cancel"));

        var settled = Stripe.SucceedIntent(pi);
        (await Stripe.SendAsync(host.CreateClient(), Stripe.Event("payment_intent.succeeded", settled))).EnsureSuccessStatusCode();
        Assert.Equal(("paid", "committed"), ((await host.OrderAsync(checkout.Order.Id)).Status, (await host.OrderAsync(checkout.Order.Id)).Reservation));
        Assert.Empty(Stripe.RefundsAskedFor(pi));
        Assert.Equal((4, 0), await host.StockAsync(sku));
    }

    [Fact]
    public async Task A_processing_payment_the_webhook_never_reported_still_keeps_its_reservation()
    {
        var (checkout, sku, _) = await host.CheckOutAsync(stock: 6, quantity: 2);
        Stripe.ProcessIntent(checkout.Payment.PaymentIntentId);
        await host.ExpireAsync(checkout.Order.Id, TimeSpan.FromMinutes(1));

        await host.Services.GetRequiredService<ReservationSweeper>().SweepAsync(CancellationToken.None);

        var row = await host.OrderAsync(checkout.Order.Id);
        Assert.Equal(("pending_payment", "held", "processing"), (row.Status, row.Reservation, row.PaymentStatus));
        Assert.Equal((6, 2), await host.StockAsync(sku));
        Assert.True(await host.CountAsync("select count(*) from orders where id = @id and reservation_expires_at > now()", new { id = checkout.Order.Id }) == 1,
            "The hold moves on, so the sweeper asks again later.");
    }

    [Fact]
    public async Task A_refund_asks_stripe_with_no_lock_on_the_order_and_a_stripe_outage_leaves_it_pending_for_the_retry()
    {
        var checkout = await PaidAsync();
        var pi = checkout.Payment.PaymentIntentId;
        var lockedDuringCall = WatchOrderLock(checkout.Order.Id, "/v1/refunds");

        Stripe.FailNext(1);
        var down = await StripeHost.RefundAsync(host.Admin(), checkout.Order.Id, new RefundRequest(300, "scratched"), "refund-a");
        var problem = await down.ProblemAsync(HttpStatusCode.ServiceUnavailable);
        AssertNoStripeText(problem, "unknown error");
        // Set aside: a second refund cannot take the pending amount as well.
        var total = checkout.Order.Totals.Total.Amount;
        await (await StripeHost.RefundAsync(host.Admin(), checkout.Order.Id, new RefundRequest(total, null), "refund-b")).ProblemAsync(HttpStatusCode.UnprocessableEntity);

        var done = await (await StripeHost.RefundAsync(host.Admin(), checkout.Order.Id, new RefundRequest(300, "scratched"), "refund-a")).ReadAsync<RefundResult>(HttpStatusCode.Created);

        Assert.Equal(("partially_refunded", 300L), (done.Order.Status, done.Order.Totals.Refunded.Amount));
        var asked = Stripe.RefundsAskedFor(pi);
        Assert.Equal(2, asked.Count);
        Assert.Single(asked.Select(r => r.Header("Idempotency-Key")).Distinct());
        Assert.Equal(1, await host.CountAsync("select count(*) from refunds where order_id = @id", new { id = checkout.Order.Id }));
        Assert.Equal([false, false], lockedDuringCall);
    }

    [Fact]
    public async Task Canceling_a_paid_order_refunds_it_with_no_lock_held_and_stripes_refusal_text_stays_out_of_the_answer()
    {
        var checkout = await PaidAsync();
        var lockedDuringCall = WatchOrderLock(checkout.Order.Id, "/v1/refunds");

        Stripe.AnswerNextWith(503, "api_error", null, "Stripe internal: shard pi-7 is read-only");
        var down = await host.Admin().OrderActionAsync(checkout.Order.Id, "cancellation");
        AssertNoStripeText(await down.ProblemAsync(HttpStatusCode.ServiceUnavailable), "shard");
        Assert.Equal("canceled", await StatusAsync(checkout.Order.Id));

        // Canceling again completes the refund left pending.
        var canceled = await (await host.Admin().OrderActionAsync(checkout.Order.Id, "cancellation")).ReadAsync<Order>();
        Assert.Equal(checkout.Order.Totals.Total.Amount, canceled.Totals.Refunded.Amount);
        Assert.Single(Stripe.RefundsAskedFor(checkout.Payment.PaymentIntentId), r => r.Status == 200);
        Assert.Equal([false, false], lockedDuringCall);

        var other = await PaidAsync();
        Stripe.AnswerNextWith(400, "invalid_request_error", "charge_already_refunded", "Charge ch_3Secret has already been refunded.");
        var refused = await (await StripeHost.RefundAsync(host.Admin(), other.Order.Id, new RefundRequest(100, null), "refund-c")).ProblemAsync(HttpStatusCode.UnprocessableEntity);
        AssertNoStripeText(refused, "ch_3Secret");
        Assert.Equal(0, await host.CountAsync("select count(*) from refunds where order_id = @id and status = 'pending'", new { id = other.Order.Id }));
    }

    // ---- helpers -----------------------------------------------------------------------------------------

    private async Task<(Cart Cart, string Sku, string Key)> CartAsync()
    {
        var sku = await host.SkuAsync(stock: 5);
        return (await StripeHost.CartAsync(host.CreateClient(), sku, 1), sku, Guid.NewGuid().ToString());
    }

    private Task<HttpResponseMessage> CheckoutAsync(Cart cart, string key) =>
        StripeHost.CheckoutAsync(host.CreateClient(), StripeHost.CheckoutBody(cart.Token), key);

    /// <summary>The cart's one order: pending payment, stock held, no intent attached.</summary>
    private async Task<Guid> PendingOrderWithoutIntentAsync(Cart cart)
    {
        await using var conn = await host.Db.OpenConnectionAsync();
        var orders = (await conn.QueryAsync<(Guid Id, string Status, string Reservation, bool HasPayment)>("""
            select o.id, o.status, o.reservation, exists (select 1 from payments p where p.order_id = o.id) from orders o where o.cart_id = @id
            """, new { id = cart.Id })).ToList();
        var order = Assert.Single(orders);
        Assert.Equal(("pending_payment", "held", false), (order.Status, order.Reservation, order.HasPayment));
        return order.Id;
    }

    private async Task<string> StatusAsync(Guid orderId)
    {
        await using var conn = await host.Db.OpenConnectionAsync();
        return await conn.ExecuteScalarAsync<string>("select status from orders where id = @orderId", new { orderId }) ?? "";
    }

    private async Task<CheckoutResult> PaidAsync()
    {
        var (checkout, _, _) = await host.CheckOutAsync(quantity: 1);
        Stripe.SucceedIntent(checkout.Payment.PaymentIntentId);
        (await StripeHost.ConfirmAsync(host.CreateClient(), checkout)).EnsureSuccessStatusCode();
        return checkout;
    }

    /// <summary>Whenever the API calls Stripe at <paramref name="path"/>, records whether the order's row was
    /// locked at that moment (select … for update nowait from a connection of the test's own).</summary>
    private List<bool> WatchOrderLock(Guid orderId, string path)
    {
        var seen = new List<bool>();
        Stripe.OnRequest = async request =>
        {
            if (request.Path != path)
            {
                return;
            }
            await using var conn = await host.Db.OpenConnectionAsync();
            await using var tx = await conn.BeginTransactionAsync();
            try
            {
                await conn.ExecuteAsync("select 1 from orders where id = @orderId for update nowait", new { orderId }, tx);
                lock (seen)
                {
                    seen.Add(false);
                }
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
            {
                lock (seen)
                {
                    seen.Add(true);
                }
            }
        };
        return seen;
    }

    private static void AssertNoStripeText(System.Text.Json.Nodes.JsonObject problem, string stripeWords) =>
        Assert.DoesNotContain(stripeWords, problem.ToJsonString(), StringComparison.OrdinalIgnoreCase);
}
