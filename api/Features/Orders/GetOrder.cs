using Headless.Api.Platform.Http;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Orders;

public static class GetOrder
{
    public static void Map(RouteGroupBuilder group) => group
        .MapGet("/orders/{orderId:guid}", Handle)
        .WithName("GetOrder")
        .WithSummary("Read an order: as the signed-in customer who placed it, or with its order token in X-Order-Token")
        .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Results<Ok<Order>, ProblemHttpResult>> Handle(Guid orderId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var order = await OrderStore.LoadAsync(conn, orderId);
        if (order is null || !OrderAccess.MayRead(http, order.Row))
        {
            return NotFound("No order with this id is yours. Guests send the order token from checkout in X-Order-Token.");
        }
        http.Response.Headers.CacheControl = "no-store";
        Versions.SetETag(http, order.Row.Version);
        return TypedResults.Ok(order.ToContract());
    }
}
