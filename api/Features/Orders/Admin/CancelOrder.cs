using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Payments;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;
using Order = Headless.Contracts.Commerce.Order;

namespace Headless.Api.Features.Orders.Admin;

public sealed class CancelOrder(NpgsqlDataSource db, IPaymentProvider payments, PaymentSync sync, PersonalDataVault vault)
    : Endpoint<CancelOrder.Request, Results<Ok<Order>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/orders/{orderId:guid}/cancellation");
        Group<AdminApi>();
        Options(b => b.WithMetadata(Platform.Http.IfMatchRequired.Metadata));
        Policies(Platform.Security.Policies.OrderStaff);
        RequestBinder(new OptionalJsonBody<Request>());
        Description(b => b.WithMetadata(OptionalJsonBody.Marker));
        Description(b => b.WithName("CancelOrder").WithTags("Admin orders")
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
            s.Summary = "Cancel an order that has not shipped: an unpaid one releases its stock; a paid one is refunded in full and restocked (If-Match required)";
            s.Description = "A paid order is canceled and restocked first and its refund asked of the payment provider after that commit. If the " +
                "provider cannot be reached (503 or 409 with Retry-After) the refund stays pending; canceling the (now canceled) order again completes it. " +
                "Send the order's ETag from GET /api/v1/admin/orders/{orderId} in If-Match: 428 without it, 412 when the order changed since.";
        });
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
        // Checked before the payment service is asked anything; again under the row lock below.
        if (await OrderVersion.CheckAsync(http, conn, null, orderId) is { } precondition)
        {
            return precondition;
        }
        var note = "canceled by staff" + (reason.Length > 0 ? ": " + reason : "");
        Refunds.Pending? refund = null;
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
                        if (await OrderVersion.CheckAsync(http, conn, tx, orderId) is { } changed)
                        {
                            return changed;
                        }
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
                    // Under the row lock: cancel, restock and set the refund aside; the payment service is asked after the commit.
                    await using (var tx = await conn.BeginTransactionAsync(ct))
                    {
                        if (await OrderVersion.CheckAsync(http, conn, tx, orderId) is { } changed)
                        {
                            return changed;
                        }
                        var log = new WriteLog(conn, tx, actor);
                        var locked = await Refunds.LockOrderAsync(conn, tx, orderId);
                        var before = await OrderAuditState.ReadAsync(conn, tx, orderId);
                        if (locked is null || !await OrderTransitions.CancelPaidAsync(log, orderId, note))
                        {
                            return Conflict("The order changed while canceling; read it again.");
                        }
                        if (locked.Remaining > 0 && locked.PaymentRef is { } paid)
                        {
                            refund = await Refunds.OpenAsync(log, orderId, paid, locked.Remaining, note);
                        }
                        await log.AuditAsync("order.canceled", "order", orderId.ToString(), before, await OrderAuditState.ReadAsync(conn, tx, orderId));
                        await tx.CommitAsync(ct);
                    }
                    break;
                case OrderStatus.Canceled when await Refunds.FindPendingAsync(conn, null, orderId: orderId) is { } unfinished:
                    // Canceled earlier, but its refund could not reach the payment service then: this is the retry.
                    refund = unfinished;
                    break;
                default:
                    return Conflict($"A {order.Row.Status} order cannot be canceled{(order.Row.Status is OrderStatus.Fulfilled or OrderStatus.Delivered ? "; refund it instead" : "")}.");
            }
            if (refund is not null)
            {
                var refunded = await Refunds.AskAsync(db, payments, refund, ct);
                await using var tx = await conn.BeginTransactionAsync(ct);
                await Refunds.CompleteAsync(new WriteLog(conn, tx, actor), refund, refunded);
                await tx.CommitAsync(ct);
            }
        }
        catch (PaymentProviderException e)
        {
            return PaymentProblems.From(http, e, refund is null ? "Nothing changed."
                : Refunds.StaysPending(e) ? "The order is canceled and restocked; its refund is pending. Cancel it again to complete the refund."
                : "The order is canceled and restocked, but its refund was refused; refund the payment in the payment service's dashboard.");
        }
        return TypedResults.Ok(await (await OrderStore.LoadAsync(conn, orderId))!.ToContractAsync(vault, ct));
    }
}
