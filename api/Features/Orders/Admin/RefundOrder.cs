using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Payments;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Catalog;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Orders.Admin;

public sealed class RefundOrder(NpgsqlDataSource db, IPaymentProvider payments, Idempotency idempotency, PersonalDataVault vault)
    : Endpoint<RefundOrder.Request, Results<Created<RefundResult>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/orders/{orderId:guid}/refunds");
        Group<AdminApi>();
        Options(b => b.WithMetadata(Platform.Http.IfMatchRequired.Metadata));
        Policies(Platform.Security.Policies.OrderStaff);
        Description(b => b.WithName("RefundOrder").WithTags("Admin orders")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status402PaymentRequired)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired)
            .ProducesProblem(StatusCodes.Status502BadGateway)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable));
        Summary(s =>
        {
            s.Summary = "Refund all or part of a paid order through the payment provider (If-Match and Idempotency-Key required)";
            s.Description = "The amount is set aside under the order's lock, then asked of the payment provider. If the provider cannot be " +
                "reached (503 or 409 with Retry-After) the refund stays pending, counting against what is left; retrying with the same key completes it. " +
                "If-Match carries the order's ETag from GET /api/v1/admin/orders/{orderId} (428 without it, 412 when the order changed since); " +
                "a retry under an Idempotency-Key already used replays or completes that refund whatever the order's version is now.";
        });
    }

    public sealed class Request : JsonBody<RefundRequest>
    {
        [RouteParam]
        public Guid OrderId { get; set; }

        /// <summary>A key unique to this refund (a UUID); a retry with the same key and body completes or replays it.
        /// Read by <see cref="Platform.Http.Idempotency.Read"/>; declared here so clients send it.</summary>
        [FromHeader("Idempotency-Key", IsRequired = false)]
        public string? IdempotencyKey { get; set; }
    }

    public sealed class Validator(IValidator<RefundRequest> rules) : JsonBodyValidator<Request, RefundRequest>(rules);

    public override async Task<Results<Created<RefundResult>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (orderId, request, http) = (req.OrderId, req.Body, HttpContext);
        // Qualified: FastEndpoints' Endpoint has an Idempotency() method of its own.
        var (key, keyProblem) = Platform.Http.Idempotency.Read(http);
        if (keyProblem is not null || key is null)
        {
            return keyProblem ?? Platform.Http.Idempotency.Required();
        }
        var scope = "refund:" + orderId;
        var fingerprint = Platform.Http.Idempotency.Fingerprint("RefundOrder", orderId.ToString(), request, ApiJsonContext.Default.RefundRequest);
        var actor = Actor.From(http);
        var reason = request.Reason?.Trim() ?? "";
        var location = $"/api/v1/admin/orders/{orderId}";

        // 1. Under the order's row lock: the key, a stored answer, the amount, a pending refund row.
        Refunds.Pending pending;
        await using (var conn = await db.OpenConnectionAsync(ct))
        await using (var tx = await conn.BeginTransactionAsync(ct))
        {
            if (!await Platform.Http.Idempotency.TryLockAsync(conn, tx, scope, key))
            {
                return Platform.Http.Idempotency.InFlight();
            }
            // The record names the refund; the answer, which shows the order with its customer's contact, is rebuilt from it.
            if (await idempotency.FindReferenceAsync(conn, tx, scope, key, ApiJsonContext.Default.RefundResult, r => (r.Refund.Id, null)) is { } stored)
            {
                if (!stored.Matches(fingerprint))
                {
                    return Platform.Http.Idempotency.Mismatch();
                }
                if (stored.StatusCode == StatusCodes.Status201Created)
                {
                    Platform.Http.Idempotency.MarkReplayed(http);
                    return TypedResults.Created(stored.Location, await AnswerAsync(conn, tx, stored.ResourceId, ct));
                }
                // An earlier attempt opened this refund and could not reach the payment service: finish it.
                if (await Refunds.FindPendingAsync(conn, tx, refundId: stored.ResourceId) is not { } earlier)
                {
                    // Refused by the provider after all (only the key's clean-up was lost): start afresh.
                    await conn.ExecuteAsync("delete from idempotency_keys where scope = @scope and key = @key", new { scope, key }, tx);
                    await tx.CommitAsync(ct);
                    return Conflict("An earlier request with this Idempotency-Key failed without refunding anything. Send it again to start afresh.");
                }
                pending = earlier;
            }
            else
            {
                if (await OrderVersion.CheckAsync(http, conn, tx, orderId) is { } precondition)
                {
                    return precondition;
                }
                var order = await Refunds.LockOrderAsync(conn, tx, orderId);
                if (order is not { } o)
                {
                    return NotFound($"No order {orderId}.");
                }
                if (!OrderStatus.Refundable.Contains(o.Status) || o.PaymentRef is null || o.Remaining <= 0)
                {
                    return Conflict(o.Remaining <= 0 && o.PaymentRef is not null
                        ? o.Pending > 0 ? "The rest of this order is being refunded right now." : "This order is fully refunded."
                        : $"A {o.Status} order has no payment to refund.");
                }
                var amount = request.Amount ?? o.Remaining;
                if (amount > o.Remaining)
                {
                    return Make(StatusCodes.Status422UnprocessableEntity, "refund-too-large", "Refund exceeds what is left",
                        $"At most {o.Remaining} ({o.Currency.Trim()} minor units) can still be refunded.", new Dictionary<string, string[]> { ["amount"] = [$"At most {o.Remaining}."] });
                }
                pending = await Refunds.OpenAsync(new WriteLog(conn, tx, actor), orderId, o.PaymentRef, amount, reason);
                await idempotency.StoreReferenceAsync(conn, tx, scope, key, fingerprint, StatusCodes.Status202Accepted, location, pending.Id, secret: null);
            }
            await tx.CommitAsync(ct);
        }

        // 2. Nothing open, nothing locked: ask the payment service.
        RefundInfo refund;
        try
        {
            refund = await Refunds.AskAsync(db, payments, pending, ct);
        }
        catch (PaymentProviderException e)
        {
            if (!Refunds.StaysPending(e))
            {
                // The refund failed for good: this key may be used again for a fresh attempt.
                await using var conn = await db.OpenConnectionAsync(ct);
                await conn.ExecuteAsync("delete from idempotency_keys where scope = @scope and key = @key", new { scope, key });
            }
            return PaymentProblems.From(http, e, Refunds.StaysPending(e)
                ? "The refund is pending and counts against what can still be refunded. Retry with the same Idempotency-Key to complete it."
                : "Nothing was refunded.");
        }

        // 3. Record it, with the final answer under the key.
        await using (var conn = await db.OpenConnectionAsync(ct))
        await using (var tx = await conn.BeginTransactionAsync(ct))
        {
            var log = new WriteLog(conn, tx, actor);
            var before = await OrderAuditState.ReadAsync(conn, tx, orderId);
            await Refunds.CompleteAsync(log, pending, refund);
            await log.AuditAsync("order.refunded", "order", orderId.ToString(), before, await OrderAuditState.ReadAsync(conn, tx, orderId, pending.Amount));
            var result = await AnswerAsync(conn, tx, pending.Id, ct);
            await idempotency.StoreReferenceAsync(conn, tx, scope, key, fingerprint, StatusCodes.Status201Created, location, pending.Id, secret: null);
            await tx.CommitAsync(ct);
            return TypedResults.Created(location, result);
        }
    }

    /// <summary>The answer about a refund, from its row and its order as it is now (a replay shows the same, or the order's
    /// later state; the contact read from the customer's vault, erased if they were).</summary>
    private async Task<RefundResult> AnswerAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid refundId, CancellationToken ct)
    {
        var row = await conn.QuerySingleAsync<(Guid OrderId, long Amount, string Currency, string Reason, string Status, DateTime CreatedAt)>("""
            select r.order_id, r.amount, o.currency, r.reason, r.status, r.created_at from refunds r join orders o on o.id = r.order_id where r.id = @refundId
            """, new { refundId }, tx);
        var order = await (await OrderStore.LoadAsync(conn, row.OrderId, tx))!.ToContractAsync(vault, ct);
        return new RefundResult(new Refund(refundId, new Money(row.Amount, row.Currency.Trim()), row.Reason, row.Status, OrderStore.Utc(row.CreatedAt)), order);
    }
}

public sealed class RefundRequestValidator : AbstractValidator<RefundRequest>
{
    public RefundRequestValidator()
    {
        RuleFor(r => r.Amount).GreaterThan(0).When(r => r.Amount is not null).WithMessage("amount is a positive number of minor units (or leave it out for everything left).");
        RuleFor(r => r.Reason).MaximumLength(500);
    }
}
