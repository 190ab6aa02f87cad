using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Payments;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Catalog;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Orders.Admin;

public sealed class RefundOrder(NpgsqlDataSource db, IPaymentProvider payments, Idempotency idempotency)
    : Endpoint<RefundOrder.Request, Results<Created<RefundResult>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/orders/{orderId:guid}/refunds");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.OrderStaff);
        Description(b => b.WithName("RefundOrder").WithTags("Admin orders")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable));
        Summary(s => s.Summary = "Refund all or part of a paid order through the payment provider (Idempotency-Key required)");
    }

    public sealed class Request : JsonBody<RefundRequest>
    {
        [RouteParam]
        public Guid OrderId { get; set; }
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
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (!await Platform.Http.Idempotency.TryLockAsync(conn, tx, scope, key))
        {
            return Platform.Http.Idempotency.InFlight();
        }
        if (await idempotency.FindAsync(conn, tx, scope, key, ApiJsonContext.Default.RefundResult) is { } stored)
        {
            if (!stored.Matches(fingerprint))
            {
                return Platform.Http.Idempotency.Mismatch();
            }
            Platform.Http.Idempotency.MarkReplayed(http);
            return TypedResults.Created(stored.Location, stored.Body);
        }
        // The order row stays locked until the refund is recorded: concurrent refunds queue, never exceed the total.
        var order = await conn.QuerySingleOrDefaultAsync<(string Status, long Total, long RefundedTotal, string Currency, string? PaymentRef)?>("""
            select o.status, o.total, o.refunded_total, o.currency, p.provider_ref as payment_ref
            from orders o left join payments p on p.order_id = o.id and p.status = 'succeeded'
            where o.id = @orderId for update of o
            """, new { orderId }, tx);
        if (order is not { } o)
        {
            return NotFound($"No order {orderId}.");
        }
        var remaining = o.Total - o.RefundedTotal;
        if (!OrderStatus.Refundable.Contains(o.Status) || o.PaymentRef is null || remaining <= 0)
        {
            return Conflict(remaining <= 0 && o.PaymentRef is not null ? "This order is fully refunded." : $"A {o.Status} order has no payment to refund.");
        }
        var amount = request.Amount ?? remaining;
        if (amount > remaining)
        {
            return Make(StatusCodes.Status422UnprocessableEntity, "refund-too-large", "Refund exceeds what is left",
                $"At most {remaining} ({o.Currency.Trim()} minor units) can still be refunded.", new Dictionary<string, string[]> { ["amount"] = [$"At most {remaining}."] });
        }
        RefundInfo refund;
        try
        {
            refund = await payments.RefundAsync(o.PaymentRef, amount, $"hl-refund-{orderId:N}-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Convert.ToHexString(fingerprint) + key)))[..32]}", ct);
        }
        catch (PaymentProviderException e)
        {
            return e.Unavailable
                ? Make(StatusCodes.Status503ServiceUnavailable, "payment-provider-unavailable", "Payments are unavailable", "The payment service did not answer; nothing was refunded. Retry with the same Idempotency-Key.")
                : Make(StatusCodes.Status422UnprocessableEntity, "refund-refused", "The payment service refused the refund", e.Message);
        }
        var log = new WriteLog(conn, tx, actor);
        var before = await OrderAuditState.ReadAsync(conn, tx, orderId);
        await OrderTransitions.RecordRefundAsync(log, orderId, refund, request.Reason?.Trim() ?? "");
        await log.AuditAsync("order.refunded", "order", orderId.ToString(), before, await OrderAuditState.ReadAsync(conn, tx, orderId, amount));
        var loaded = await OrderStore.LoadAsync(conn, orderId, tx);
        var refundId = await conn.ExecuteScalarAsync<Guid>("select id from refunds where provider_ref = @id", new { id = refund.Id }, tx);
        var result = new RefundResult(new Refund(refundId, new Money(refund.Amount, o.Currency.Trim()), request.Reason?.Trim() ?? "", refund.Status, DateTimeOffset.UtcNow),
            loaded!.ToContract());
        var location = $"/api/v1/admin/orders/{orderId}";
        await idempotency.StoreAsync(conn, tx, scope, key, fingerprint, StatusCodes.Status201Created, location, result, ApiJsonContext.Default.RefundResult);
        await tx.CommitAsync(ct);
        return TypedResults.Created(location, result);
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
