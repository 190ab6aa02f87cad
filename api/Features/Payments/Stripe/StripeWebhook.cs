using System.Text.Json;
using Dapper;
using Headless.Api.Features.Orders;
using Headless.Api.Platform.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Payments.Stripe;

public static class StripeWebhook
{
    private static readonly Actor Stripe = Actor.System("stripe-webhook");

    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/webhooks/stripe", Handle)
        .WithName("ReceiveStripeWebhook")
        .WithSummary("Stripe's webhook: signed payment_intent.succeeded / payment_failed / canceled and charge.refunded events")
        .WithDescription("Point a Stripe webhook endpoint here and set Headless:Payments:Stripe:WebhookSecret. Events are verified (Stripe-Signature, 5 minute tolerance) and handled once per event id.")
        .Accepts<JsonElement>("application/json")
        .Produces(StatusCodes.Status204NoContent)
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Results<NoContent, ProblemHttpResult>> Handle(
        HttpContext http, IOptions<PaymentsOptions> options, NpgsqlDataSource db, PaymentSync sync, ILogger<PaymentSync> log, CancellationToken ct)
    {
        var secret = options.Value.Stripe.WebhookSecret;
        if (string.IsNullOrEmpty(secret))
        {
            return NotFound("Stripe webhooks are not configured here (Headless:Payments:Stripe:WebhookSecret).");
        }
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, ct);
        var body = buffer.ToArray();
        switch (StripeSignature.Verify(http.Request.Headers["Stripe-Signature"], body, secret, DateTimeOffset.UtcNow))
        {
            case StripeSignature.Result.Valid:
                break;
            case StripeSignature.Result.Stale:
                return Make(StatusCodes.Status400BadRequest, "webhook-stale", "Webhook too old", "The signature's timestamp is more than 5 minutes from now.");
            default:
                return Make(StatusCodes.Status400BadRequest, "webhook-signature", "Webhook signature invalid", "The Stripe-Signature header does not sign this body with our secret.");
        }

        string id, type;
        JsonElement obj;
        using var json = ParseOrNull(body);
        try
        {
            var root = json?.RootElement ?? throw new KeyNotFoundException();
            id = root.GetProperty("id").GetString()!;
            type = root.GetProperty("type").GetString()!;
            obj = root.GetProperty("data").GetProperty("object");
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException)
        {
            return Make(StatusCodes.Status400BadRequest, "webhook-payload", "Not a Stripe event", "The body is not a Stripe event object.");
        }

        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            if (await conn.ExecuteScalarAsync<bool>("select exists (select 1 from stripe_events where id = @id)", new { id }))
            {
                return TypedResults.NoContent();
            }
        }
        log.LogInformation("Stripe event {EventId} {EventType}", id, type);
        switch (type)
        {
            case "payment_intent.succeeded":
            case "payment_intent.payment_failed":
            case "payment_intent.canceled":
                var intent = StripeClient.ReadIntent(obj);
                if (type == "payment_intent.payment_failed" && intent.LastError is null)
                {
                    intent = intent with { LastError = "payment failed" };
                }
                await sync.ApplyAsync(intent, Stripe, $"stripe {type}", ct);
                break;
            case "charge.refunded":
                await SyncRefundAsync(db, obj, ct);
                break;
        }
        // Recorded after handling: a crash in between means Stripe retries and the handlers, which are
        // conditional, find nothing left to do.
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            await conn.ExecuteAsync("insert into stripe_events (id, type) values (@id, @type) on conflict do nothing", new { id, type });
        }
        return TypedResults.NoContent();
    }

    /// <summary>A refund made outside the API (Stripe's dashboard): the order's refunded total catches up.</summary>
    private static async Task SyncRefundAsync(NpgsqlDataSource db, JsonElement charge, CancellationToken ct)
    {
        if (!charge.TryGetProperty("payment_intent", out var pi) || pi.ValueKind != JsonValueKind.String
            || !charge.TryGetProperty("amount_refunded", out var refunded) || refunded.ValueKind != JsonValueKind.Number)
        {
            return;
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var order = await conn.QuerySingleOrDefaultAsync<(Guid Id, long RefundedTotal)?>("""
            select o.id, o.refunded_total from orders o join payments p on p.order_id = o.id where p.provider_ref = @pi for update of o
            """, new { pi = pi.GetString() }, tx);
        if (order is { } o && refunded.GetInt64() > o.RefundedTotal)
        {
            var missing = refunded.GetInt64() - o.RefundedTotal;
            await OrderTransitions.RecordRefundAsync(new WriteLog(conn, tx, Stripe), o.Id,
                new RefundInfo($"{charge.GetProperty("id").GetString()}:{refunded.GetInt64()}", "succeeded", missing), "refunded in Stripe");
        }
        await tx.CommitAsync(ct);
    }

    private static JsonDocument? ParseOrNull(byte[] body)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
