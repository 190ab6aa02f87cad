using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Payments;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;
using Order = Headless.Contracts.Commerce.Order;

namespace Headless.Api.Features.Orders.Admin;

public sealed class CancelOrder(NpgsqlDataSource db, IPaymentProvider payments, PaymentSync sync)
    : Endpoint<CancelOrder.Request, Results<Ok<Order>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/orders/{orderId:guid}/cancellation");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.OrderStaff);
        RequestBinder(new OptionalJsonBody<Request>());
        Description(b => b.WithMetadata(OptionalJsonBody.Marker));
        Description(b => b.WithName("CancelOrder").WithTags("Admin orders")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable));
        Summary(s => s.Summary = "Cancel an order that has not shipped: an unpaid one releases its stock; a paid one is refunded in full and restocked");
    }

    public sealed class Request : JsonBody<CancelOrderRequest>
    {
        [RouteParam]
        public Guid OrderId { get; set; }
    }

    public override async Task<Results<Ok<Order>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (orderId, request, http) = (req.OrderId, (CancelOrderRequest?)req.Body, HttpContext);
        var reason = request?.Reason?.Trim() ?? "";
        if (reason.Length > 500)
        {
            return Validation("reason", "At most 500 characters.");
        }
        var actor = Actor.From(http);
        await using var conn = await db.OpenConnectionAsync(ct);
        var order = await OrderStore.LoadAsync(conn, orderId);
        if (order is null)
        {
            return NotFound($"No order {orderId}.");
        }
        var note = "canceled by staff" + (reason.Length > 0 ? ": " + reason : "");
        try
        {
            switch (order.Row.Status)
            {
                case OrderStatus.PendingPayment:
                    if (order.Row.PaymentRef is { } pending)
                    {
                        var intent = await payments.CancelIntentAsync(pending, ct);
                        if (intent.Status == "succeeded")
                        {
                            await sync.ApplyAsync(intent, actor, "payment found succeeded while canceling", ct);
                            return Conflict("The order was paid just now. Cancel it again to refund it.");
                        }
                    }
                    await using (var tx = await conn.BeginTransactionAsync(ct))
                    {
                        var log = new WriteLog(conn, tx, actor);
                        var before = await OrderAuditState.ReadAsync(conn, tx, orderId);
                        if (!await OrderTransitions.CancelUnpaidAsync(log, orderId, note))
                        {
                            return Conflict("The order changed while canceling; read it again.");
                        }
                        await log.AuditAsync("order.canceled", "order", orderId.ToString(), before, await OrderAuditState.ReadAsync(conn, tx, orderId));
                        await tx.CommitAsync(ct);
                    }
                    break;
                case OrderStatus.Paid:
                    await using (var tx = await conn.BeginTransactionAsync(ct))
                    {
                        var log = new WriteLog(conn, tx, actor);
                        var before = await OrderAuditState.ReadAsync(conn, tx, orderId);
                        if (!await OrderTransitions.CancelPaidAsync(log, orderId, note))
                        {
                            return Conflict("The order changed while canceling; read it again.");
                        }
                        var remaining = order.Row.Total - order.Row.RefundedTotal;
                        if (remaining > 0)
                        {
                            // Inside the transaction: if the refund fails, the order stays paid and stocked out.
                            var refund = await payments.RefundAsync(order.Row.PaymentRef!, remaining, $"hl-cancel-{orderId}", ct);
                            await OrderTransitions.RecordRefundAsync(log, orderId, refund, note);
                        }
                        await log.AuditAsync("order.canceled", "order", orderId.ToString(), before, await OrderAuditState.ReadAsync(conn, tx, orderId));
                        await tx.CommitAsync(ct);
                    }
                    break;
                default:
                    return Conflict($"A {order.Row.Status} order cannot be canceled{(order.Row.Status is OrderStatus.Fulfilled or OrderStatus.Delivered ? "; refund it instead" : "")}.");
            }
        }
        catch (PaymentProviderException e)
        {
            return e.Unavailable
                ? Make(StatusCodes.Status503ServiceUnavailable, "payment-provider-unavailable", "Payments are unavailable", "The payment service did not answer; nothing changed. Try again.")
                : Conflict($"The payment service refused: {e.Message}");
        }
        return TypedResults.Ok((await OrderStore.LoadAsync(conn, orderId))!.ToContract());
    }
}
