using System.Globalization;
using Dapper;
using Headless.Api.Features.Payments;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Checkout;

/// <summary>
/// Checkout steps 4 and 5: the PaymentIntent of an order that exists, asked for with no transaction open
/// and no connection held, then attached (with the final 201 answer under the Idempotency-Key) in one
/// statement. The provider's idempotency key is derived from the order and its payment attempt, so any
/// number of retries of one checkout ask for the same intent; the attempt moves on only when the
/// provider answered a failure, which Stripe would otherwise replay under that key for a day.
/// </summary>
public static class CheckoutPayment
{
    // Attaches the intent if the order still waits for one, and only then turns the stored answer final (the record
    // is a reference to the order, so only its status changes; a record the release before wrote whole loses its
    // provisional answer, which would now be stale).
    private const string AttachSql = """
        with attached as (
            insert into payments (id, order_id, provider, provider_ref, client_secret, status, amount, currency)
            select @paymentId, o.id, @provider, @intentId, @clientSecret, @intentStatus, o.total, o.currency
            from orders o where o.id = @orderId and o.status = 'pending_payment' and o.reservation = 'held'
            on conflict do nothing
            returning 1)
        update idempotency_keys set status_code = 201, response = null
        where scope = @idemScope and key = @idemKey and exists (select 1 from attached);

        select provider_ref as id, client_secret, status from payments where order_id = @orderId;
        """;

    public static string IntentKey(Guid orderId, int attempt) => $"hl-order-{orderId:N}-{attempt.ToString(CultureInfo.InvariantCulture)}";

    public static async Task<Results<Created<CheckoutResult>, ProblemHttpResult>> PayAsync(HttpContext http, PlacedOrder placed, CheckoutAttempt attempt,
        NpgsqlDataSource db, IPaymentProvider payments, ILogger log, CancellationToken ct)
    {
        var order = placed.Result.Order;
        PaymentIntentInfo intent;
        try
        {
            intent = await payments.CreateIntentAsync(new PaymentIntentCreate(order.Totals.Total.Amount, order.Totals.Total.Currency,
                IntentKey(order.Id, placed.PaymentAttempt), "Headless order " + order.Number, new Dictionary<string, string>
                {
                    ["order_id"] = order.Id.ToString(),
                    ["order_number"] = order.Number,
                    ["cart_id"] = placed.CartId.ToString(),
                }), ct);
        }
        catch (PaymentProviderException e)
        {
            log.LogWarning("No payment intent for order {OrderId}: {Failure} ({Code}) {Error}", order.Id, e.Kind, e.Code, e.Message);
            if (e.Answered && e.Kind != PaymentFailure.Busy)
            {
                await using var conn = await db.OpenConnectionAsync(ct);
                await conn.ExecuteAsync("update orders set payment_attempt = payment_attempt + 1 where id = @id and payment_attempt = @attempt",
                    new { id = order.Id, attempt = placed.PaymentAttempt });
            }
            return PaymentProblems.From(http, e,
                $"Order {order.Number} was created and its items are held until {order.ReservationExpiresAt.ToString("u", CultureInfo.InvariantCulture)}, " +
                "but its payment could not be set up. Sending this checkout again with the same Idempotency-Key and body continues this order.");
        }

        var paid = placed.Result with
        {
            Order = order with { PaymentStatus = intent.Status },
            Payment = placed.Result.Payment with { PaymentIntentId = intent.Id, ClientSecret = intent.ClientSecret, Status = intent.Status },
        };
        AttachedIntent? attached;
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            attached = await conn.QuerySingleOrDefaultAsync<AttachedIntent>(AttachSql, new
            {
                paymentId = Guid.CreateVersion7(),
                orderId = order.Id,
                provider = payments.Name,
                intentId = intent.Id,
                clientSecret = intent.ClientSecret,
                intentStatus = intent.Status,
                idemScope = attempt.Scope,
                idemKey = attempt.Key,
            });
        }
        if (attached is null)
        {
            log.LogWarning("Payment intent {PaymentIntent} came back after order {OrderId} was released; not attached", intent.Id, order.Id);
            return Expired(order.Number);
        }
        if (attached.Id != intent.Id)
        {
            // A concurrent retry attached its intent first: everybody answers with that one.
            paid = paid with
            {
                Order = order with { PaymentStatus = attached.Status },
                Payment = paid.Payment with { PaymentIntentId = attached.Id, ClientSecret = attached.ClientSecret, Status = attached.Status },
            };
        }
        return TypedResults.Created(placed.Location, paid);
    }

    public static ProblemHttpResult Expired(string orderNumber) =>
        Make(StatusCodes.Status409Conflict, "checkout-expired", "The order was released",
            $"Order {orderNumber} waited too long for its payment and its items were released. Put them in a new cart and check out again.");

    private sealed record AttachedIntent(string Id, string ClientSecret, string Status);
}
