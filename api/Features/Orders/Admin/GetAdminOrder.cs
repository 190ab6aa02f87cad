using Headless.Api.Platform.Http;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Orders.Admin;

public static class GetAdminOrder
{
    public static void Map(RouteGroupBuilder group) => group
        .MapGet("/orders/{orderId:guid}", Handle)
        .WithName("GetAdminOrder")
        .WithSummary("Read any order with its lines, payment state and full history")
        .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Results<Ok<Order>, ProblemHttpResult>> Handle(Guid orderId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var order = await OrderStore.LoadAsync(conn, orderId);
        if (order is null)
        {
            return NotFound($"No order {orderId}.");
        }
        Versions.SetETag(http, order.Row.Version);
        return TypedResults.Ok(order.ToContract());
    }
}
