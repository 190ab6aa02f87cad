using System.Text;
using System.Text.Json;
using Dapper;
using FastEndpoints;
using Headless.Api.Features.Orders;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using Stripe;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Payments.Stripe;

public sealed class StripeWebhook(IOptions<PaymentsOptions> options, NpgsqlDataSource db, PaymentSync sync, ILogger<StripeWebhook> log)
    : EndpointWithoutRequest<Results<NoContent, ProblemHttpResult>>
{
    private static readonly Actor Stripe = Actor.System("stripe-webhook");

    public override void Configure()
    {
        Post("/webhooks/stripe");
        Group<PublicApi>();
        AllowAnonymous();
        Description(b => b.WithName("ReceiveStripeWebhook").WithTags("Checkout")
            .Accepts<JsonElement>("application/json")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound));
        Summary(s =>
        {
            s.Summary = "Stripe's webhook: signed payment_intent.succeeded / processing / payment_failed / canceled and charge.refunded events";
            s.Description = "Point a Stripe webhook endpoint here and set Headless:Payments:Stripe:WebhookSecret. Events are verified (Stripe-Signature, 5 minute tolerance) and handled once per event id. " +
                "A signed event of a handled type that lacks a field it needs is a 400 and changes nothing.";
        });
    }

    // No request to bind: the body is read here as it came, since Stripe signs the exact bytes it sent.
    public override async Task<Results<NoContent, ProblemHttpResult>> ExecuteAsync(CancellationToken ct)
    {
        var http = HttpContext;
        var secret = options.Value.Stripe.WebhookSecret;
        if (string.IsNullOrEmpty(secret))
        {
            return NotFound("Stripe webhooks are not configured here (Headless:Payments:Stripe:WebhookSecret).");
        }
        string body;
        using (var reader = new StreamReader(http.Request.Body, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, leaveOpen: true))
        {
            body = await reader.ReadToEndAsync(ct);
        }
        var (result, evt) = StripeEvents.Read(body, http.Request.Headers["Stripe-Signature"], secret, DateTimeOffset.UtcNow);
        switch (result)
        {
            case StripeEvents.Result.Valid:
                break;
            case StripeEvents.Result.Stale:
                return Make(StatusCodes.Status400BadRequest, "webhook-stale", "Webhook too old", "The signature's timestamp is more than 5 minutes from now.");
            case StripeEvents.Result.NotAnEvent:
                return NotAnEvent("The body is not a Stripe event object.");
            default:
                return Make(StatusCodes.Status400BadRequest, "webhook-signature", "Webhook signature invalid", "The Stripe-Signature header does not sign this body with our secret.");
        }
        var (id, type) = (evt!.Id, evt.Type);
        PaymentIntentInfo? intent = null;
        Charge? charge = null;
        switch (type)
        {
            case EventTypes.PaymentIntentSucceeded:
            case EventTypes.PaymentIntentProcessing:
            case EventTypes.PaymentIntentPaymentFailed:
            case EventTypes.PaymentIntentCanceled:
                intent = StripeClient.ReadIntent(evt.Data.Object as PaymentIntent);
                if (intent is null)
                {
                    return NotAnEvent($"The {type} event's data.object is not a complete payment_intent (id, status, currency, amount).");
                }
                break;
            case EventTypes.ChargeRefunded:
                charge = evt.Data.Object as Charge;
                if (charge?.Id is not { Length: > 0 } || charge.PaymentIntentId is not { Length: > 0 })
                {
                    return NotAnEvent("The charge.refunded event's data.object is not a charge of a payment intent (id, payment_intent).");
                }
                break;
        }

        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            if (await conn.ExecuteScalarAsync<bool>("select exists (select 1 from stripe_events where id = @id)", new { id }))
            {
                return TypedResults.NoContent();
            }
        }
        log.LogInformation("Stripe event {EventId} {EventType}", id, type);
        if (evt.ApiVersion != StripeClient.ApiVersion)
        {
            log.LogWarning("Stripe event {EventId} is in API version {EventApiVersion}, read as {ApiVersion}: set the webhook endpoint's version to match",
                id, evt.ApiVersion, StripeClient.ApiVersion);
        }
        if (intent is not null)
        {
            if (type == EventTypes.PaymentIntentPaymentFailed && intent.LastError is null)
            {
                intent = intent with { LastError = "payment failed" };
            }
            await sync.ApplyAsync(intent, Stripe, $"stripe {type}", ct);
        }
        else if (charge is not null)
        {
            await SyncRefundAsync(db, charge, ct);
        }
        // Recorded after handling: a crash in between means Stripe retries and the handlers, which are
        // conditional, find nothing left to do.
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            await conn.ExecuteAsync("insert into stripe_events (id, type) values (@id, @type) on conflict do nothing", new { id, type });
        }
        return TypedResults.NoContent();
    }

    /// <summary>A refund made outside the API (Stripe's dashboard): the order's refunded total catches up.
    /// Refunds of ours still pending (asked of Stripe, not yet recorded) are not counted twice: whoever
    /// asked for them records them.</summary>
    private static async Task SyncRefundAsync(NpgsqlDataSource db, Charge charge, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var order = await conn.QuerySingleOrDefaultAsync<(Guid Id, long RefundedTotal)?>("""
            select o.id, o.refunded_total + (select coalesce(sum(r.amount), 0) from refunds r where r.order_id = o.id and r.status = 'pending')::bigint
            from orders o join payments p on p.order_id = o.id where p.provider_ref = @pi for update of o
            """, new { pi = charge.PaymentIntentId }, tx);
        if (order is { } o && charge.AmountRefunded > o.RefundedTotal)
        {
            var missing = charge.AmountRefunded - o.RefundedTotal;
            await OrderTransitions.RecordRefundAsync(new WriteLog(conn, tx, Stripe), o.Id,
                new RefundInfo($"{charge.Id}:{charge.AmountRefunded}", "succeeded", missing), "refunded in Stripe");
        }
        await tx.CommitAsync(ct);
    }

    private static ProblemHttpResult NotAnEvent(string detail) =>
        Make(StatusCodes.Status400BadRequest, "webhook-payload", "Not a Stripe event", detail);
}
