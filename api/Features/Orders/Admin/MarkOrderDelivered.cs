using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Vaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;
using Order = Headless.Contracts.Commerce.Order;

namespace Headless.Api.Features.Orders.Admin;

public sealed class MarkOrderDelivered(NpgsqlDataSource db, PersonalDataVault vault) : Endpoint<MarkOrderDelivered.Request, Results<Ok<Order>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/orders/{orderId:guid}/delivery");
        Group<AdminApi>();
        // The generated C# client sends an empty JSON body on bodyless POSTs: read route values only.
        RequestBinder(new RequestBinder<Request>(BindingSource.RouteValues));
        Options(b => b.WithMetadata(Platform.Http.IfMatchRequired.Metadata));
        Policies(Platform.Security.Policies.OrderStaff);
        Description(b => b.WithName("MarkOrderDelivered").WithTags("Admin orders")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired));
        Summary(s =>
        {
            s.Summary = "Mark a shipped order delivered (If-Match required)";
            s.Description = "Send the order's ETag from GET /api/v1/admin/orders/{orderId} in If-Match: 428 without it, 412 when the order changed since.";
        });
    }

    public sealed class Request
    {
        [RouteParam]
        public Guid OrderId { get; set; }
    }

    public override async Task<Results<Ok<Order>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (orderId, http) = (req.OrderId, HttpContext);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (await OrderVersion.CheckAsync(http, conn, tx, orderId) is { } precondition)
        {
            return precondition;
        }
        var log = new WriteLog(conn, tx, Actor.From(http)) { Vault = vault };
        var before = await OrderAuditState.ReadAsync(conn, tx, orderId);
        var moved = await conn.ExecuteAsync("""
            update orders set status = 'delivered', version = version + 1, updated_at = now() where id = @orderId and status = 'fulfilled'
            """, new { orderId }, tx);
        if (moved == 0)
        {
            var status = await conn.ExecuteScalarAsync<string?>("select status from orders where id = @orderId", new { orderId }, tx);
            return status is null ? NotFound($"No order {orderId}.") : Conflict($"Only shipped orders can be delivered; this one is {status}.");
        }
        await OrderTransitions.EventAsync(conn, tx, orderId, OrderStatus.Fulfilled, OrderStatus.Delivered, log.Actor.Id, "delivered");
        await log.EventAsync("order.delivered", "order", orderId.ToString());
        await log.AuditAsync("order.delivered", "order", orderId.ToString(), before, await OrderAuditState.ReadAsync(conn, tx, orderId));
        await tx.CommitAsync(ct);
        return TypedResults.Ok(await (await OrderStore.LoadAsync(conn, orderId))!.ToContractAsync(vault, ct));
    }
}
