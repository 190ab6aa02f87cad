using Dapper;
using Headless.Api.Platform.Geography;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Pricing.Admin;

public static class SetTaxRate
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPut("/tax-rates/{country}", Handle)
        .WithName("SetTaxRate")
        .WithSummary("Set the tax rate of a country, or of one of its regions with ?region= (a US state), and whether prices there include tax")
        .Validate<SetTaxRateRequest>();

    private static async Task<Results<Ok<TaxRate>, ProblemHttpResult>> Handle(
        string country, string? region, SetTaxRateRequest request, HttpContext http, NpgsqlDataSource db, PricingRules rules, CancellationToken ct)
    {
        if (!Countries.IsCode(country))
        {
            return Validation("country", "Use an ISO 3166 two-letter country code in capitals, like DE or US.");
        }
        region = region?.Trim().ToUpperInvariant() ?? "";
        if (region.Length > 50 || !region.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            return Validation("region", "Use a region code such as CA or NY.");
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var rate = await conn.QuerySingleAsync<PricingRules.TaxRow>("""
            insert into tax_rates (country, region, rate_basis_points, prices_include_tax) values (@country, @region, @rate, @inclusive)
            on conflict (country, region) do update set rate_basis_points = excluded.rate_basis_points,
                prices_include_tax = excluded.prices_include_tax, version = tax_rates.version + 1, updated_at = now()
            returning country, region, rate_basis_points, prices_include_tax, version
            """, new { country, region, rate = request.RateBasisPoints, inclusive = request.PricesIncludeTax }, tx);
        var log = new WriteLog(conn, tx, Actor.From(http));
        await log.EventAsync("tax-rate.set", "pricing", $"{country}:{region}");
        await log.AuditAsync("tax-rate.set", "tax-rate", $"{country}:{region}", null, null);
        await tx.CommitAsync(ct);
        rules.Invalidate();
        return TypedResults.Ok(new TaxRate(rate.Country, rate.Region, rate.RateBasisPoints, rate.PricesIncludeTax, rate.Version));
    }
}
