using Dapper;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Orders.Admin;

public static class MarkOrderDelivered
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/orders/{orderId:guid}/delivery", Handle)
        .WithName("MarkOrderDelivered")
        .WithSummary("Mark a shipped order delivered")
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<Results<Ok<Order>, ProblemHttpResult>> Handle(Guid orderId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var log = new WriteLog(conn, tx, Actor.From(http));
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
        await log.AuditAsync("order.delivered", "order", orderId.ToString(), null, null);
        await tx.CommitAsync(ct);
        return TypedResults.Ok((await OrderStore.LoadAsync(conn, orderId))!.ToContract());
    }
}
