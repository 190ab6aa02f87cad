using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Features.Pricing.Admin;

public sealed class ListDiscountCodes(NpgsqlDataSource db) : EndpointWithoutRequest<Ok<DiscountCodeList>>
{
    public override void Configure()
    {
        Get("/discount-codes");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.OrderStaff);
        Description(b => b.WithName("ListDiscountCodes").WithTags("Admin pricing"));
        Summary(s => s.Summary = "List discount codes with their usage, newest first");
    }

    public override async Task<Ok<DiscountCodeList>> ExecuteAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = await conn.QueryAsync<DiscountCodes.Row>($"select {DiscountCodes.Columns} from discount_codes order by created_at desc limit 1000");
        return TypedResults.Ok(new DiscountCodeList(rows.Select(PricingAdmin.ToContract).ToList()));
    }
}
