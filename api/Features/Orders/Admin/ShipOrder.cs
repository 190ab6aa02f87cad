using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;
using Order = Headless.Contracts.Commerce.Order;

namespace Headless.Api.Features.Orders.Admin;

public sealed class ShipOrder(NpgsqlDataSource db, PersonalDataVault vault) : Endpoint<ShipOrder.Request, Results<Ok<Order>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/orders/{orderId:guid}/shipments");
        Group<AdminApi>();
        Options(b => b.WithMetadata(Platform.Http.IfMatchRequired.Metadata));
        Policies(Platform.Security.Policies.OrderStaff);
        Description(b => b.WithName("ShipOrder").WithTags("Admin orders")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired));
        Summary(s =>
        {
            s.Summary = "Mark a paid order shipped with its carrier and tracking number; the customer is emailed (If-Match required)";
            s.Description = "Send the order's ETag from GET /api/v1/admin/orders/{orderId} in If-Match: 428 without it, 412 when the order changed since.";
        });
    }

    public sealed class Request : JsonBody<ShipOrderRequest>
    {
        [RouteParam]
        public Guid OrderId { get; set; }
    }

    public sealed class Validator(IValidator<ShipOrderRequest> rules) : JsonBodyValidator<Request, ShipOrderRequest>(rules);

    public override async Task<Results<Ok<Order>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (orderId, request, http) = (req.OrderId, req.Body, HttpContext);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (await OrderVersion.CheckAsync(http, conn, tx, orderId) is { } precondition)
        {
            return precondition;
        }
        var log = new WriteLog(conn, tx, Actor.From(http)) { Vault = vault };
        var before = await OrderAuditState.ReadAsync(conn, tx, orderId);
        var shipped = await conn.QuerySingleOrDefaultAsync<(string Number, Guid? CustomerId)?>("""
            update orders set status = 'fulfilled', carrier = @carrier, tracking_number = @trackingNumber, version = version + 1, updated_at = now()
            where id = @orderId and status = 'paid'
            returning number, customer_id
            """, new { orderId, carrier = request.Carrier!.Trim(), trackingNumber = request.TrackingNumber!.Trim() }, tx);
        if (shipped is not { } s)
        {
            var status = await conn.ExecuteScalarAsync<string?>("select status from orders where id = @orderId", new { orderId }, tx);
            return status is null ? NotFound($"No order {orderId}.") : Conflict($"Only paid orders can be shipped; this one is {status}.");
        }
        await OrderTransitions.EventAsync(conn, tx, orderId, OrderStatus.Paid, OrderStatus.Fulfilled, log.Actor.Id, $"shipped with {request.Carrier}, tracking {request.TrackingNumber}");
        await log.EventAsync("order.fulfilled", "order", orderId.ToString());
        await log.AuditAsync("order.shipped", "order", orderId.ToString(), before, await OrderAuditState.ReadAsync(conn, tx, orderId));
        await OrderEmails.QueueAsync(log, "order-shipped", orderId, s.CustomerId);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(await (await OrderStore.LoadAsync(conn, orderId))!.ToContractAsync(vault, ct));
    }
}

public sealed class ShipOrderRequestValidator : AbstractValidator<ShipOrderRequest>
{
    public ShipOrderRequestValidator()
    {
        RuleFor(r => r.Carrier).NotEmpty().WithMessage("carrier is required (DHL, UPS, ...).").MaximumLength(60)
            .Must(v => v is null || !v.Any(char.IsControl)).WithMessage("Remove control characters.");
        RuleFor(r => r.TrackingNumber).NotEmpty().WithMessage("trackingNumber is required.").MaximumLength(60)
            .Matches("^[A-Za-z0-9 -]*$").WithMessage("Letters, digits, spaces and dashes.");
    }
}
