using Dapper;
using Headless.Api.Platform.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Pricing.Admin;

public static class DeleteTaxRate
{
    public static void Map(RouteGroupBuilder group) => group
        .MapDelete("/tax-rates/{country}", Handle)
        .WithName("DeleteTaxRate")
        .WithSummary("Remove a country's (or with ?region=, a region's) tax rate")
        .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Results<NoContent, ProblemHttpResult>> Handle(
        string country, string? region, HttpContext http, NpgsqlDataSource db, PricingRules rules, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var deleted = await conn.ExecuteAsync("delete from tax_rates where country = @country and region = @region",
            new { country, region = region?.Trim().ToUpperInvariant() ?? "" }, tx);
        if (deleted == 0)
        {
            return NotFound($"No tax rate for {country}{(string.IsNullOrEmpty(region) ? "" : "/" + region)}.");
        }
        var log = new WriteLog(conn, tx, Actor.From(http));
        await log.EventAsync("tax-rate.deleted", "pricing", $"{country}:{region}");
        await log.AuditAsync("tax-rate.deleted", "tax-rate", $"{country}:{region}", null, null);
        await tx.CommitAsync(ct);
        rules.Invalidate();
        return TypedResults.NoContent();
    }
}
