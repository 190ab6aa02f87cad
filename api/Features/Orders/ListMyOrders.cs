using Dapper;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Security;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Features.Orders;

public static class ListMyOrders
{
    public static void Map(RouteGroupBuilder group) => group
        .MapGet("/account/orders", Handle)
        .WithName("ListMyOrders")
        .WithSummary("Your order history, newest first")
        .RequireAuthorization(Policies.SignedIn)
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status401Unauthorized);

    private static async Task<Results<Ok<OrderPage>, ProblemHttpResult>> Handle(
        HttpContext http, NpgsqlDataSource db, string? cursor, int? limit, CancellationToken ct)
    {
        var page = OrderQueries.ParsePage(cursor, limit);
        if (page.Problem is not null)
        {
            return page.Problem;
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = (await conn.QueryAsync<OrderQueries.SummaryRow>($"""
            {OrderQueries.SummarySelect}
            where o.customer_id = @customerId {OrderQueries.AfterCursor}
            {OrderQueries.Newest}
            """, new { customerId = http.User.UserId(), page.AfterAt, page.AfterId, take = page.Limit + 1 })).ToList();
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(OrderQueries.ToPage(rows, page.Limit));
    }
}
