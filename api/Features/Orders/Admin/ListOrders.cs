using System.ComponentModel;
using Dapper;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Orders.Admin;

public static class ListOrders
{
    public static void Map(RouteGroupBuilder group) => group
        .MapGet("/orders", Handle)
        .WithName("ListOrders")
        .WithSummary("List orders, newest first, by status, customer email or order number")
        .ProducesProblem(StatusCodes.Status400BadRequest);

    private static async Task<Results<Ok<OrderPage>, ProblemHttpResult>> Handle(
        NpgsqlDataSource db,
        [Description("One of pending_payment, paid, fulfilled, delivered, canceled, refunded, partially_refunded.")] string? status,
        [Description("Exact customer email (case-insensitive).")] string? email,
        [Description("An order number such as HL-100001.")] string? number,
        [Description("Only orders placed at or after this time (ISO 8601).")] DateTimeOffset? createdFrom,
        [Description("Only orders placed before this time (ISO 8601).")] DateTimeOffset? createdTo,
        string? cursor, int? limit, CancellationToken ct)
    {
        if (status is not null && !OrderStatus.All.Contains(status))
        {
            return Validation("status", $"Use one of: {string.Join(", ", OrderStatus.All)}.");
        }
        if (email?.Length > 254 || number?.Length > 40)
        {
            return Validation(email?.Length > 254 ? "email" : "number", "Too long.");
        }
        var page = OrderQueries.ParsePage(cursor, limit);
        if (page.Problem is not null)
        {
            return page.Problem;
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = (await conn.QueryAsync<OrderQueries.SummaryRow>($"""
            {OrderQueries.SummarySelect}
            where (@status::text is null or o.status = @status)
              and (@email::text is null or lower(o.email) = lower(@email))
              and (@number::text is null or o.number = upper(@number))
              and (@createdFrom::timestamptz is null or o.created_at >= @createdFrom)
              and (@createdTo::timestamptz is null or o.created_at < @createdTo)
              {OrderQueries.AfterCursor}
            {OrderQueries.Newest}
            """, new { status, email, number, createdFrom = createdFrom?.UtcDateTime, createdTo = createdTo?.UtcDateTime, page.AfterAt, page.AfterId, take = page.Limit + 1 })).ToList();
        return TypedResults.Ok(OrderQueries.ToPage(rows, page.Limit));
    }
}
