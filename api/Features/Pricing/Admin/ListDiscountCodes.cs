using Dapper;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Features.Pricing.Admin;

public static class ListDiscountCodes
{
    public static void Map(RouteGroupBuilder group) => group
        .MapGet("/discount-codes", Handle)
        .WithName("ListDiscountCodes")
        .WithSummary("List discount codes with their usage, newest first");

    private static async Task<Ok<DiscountCodeList>> Handle(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = await conn.QueryAsync<DiscountCodes.Row>($"select {DiscountCodes.Columns} from discount_codes order by created_at desc limit 1000");
        return TypedResults.Ok(new DiscountCodeList(rows.Select(PricingAdmin.ToContract).ToList()));
    }
}
