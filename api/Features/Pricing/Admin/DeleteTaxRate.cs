using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Pricing.Admin;

public sealed class DeleteTaxRate(NpgsqlDataSource db, PricingRules rules) : Endpoint<DeleteTaxRate.Request, Results<NoContent, ProblemHttpResult>>
{
    public override void Configure()
    {
        Delete("/tax-rates/{country}");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.OrderStaff);
        Description(b => b.WithName("DeleteTaxRate").WithTags("Admin pricing")
            .ProducesProblem(StatusCodes.Status404NotFound));
        Summary(s => s.Summary = "Remove a country's (or with ?region=, a region's) tax rate");
    }

    public sealed class Request
    {
        [RouteParam]
        public string Country { get; set; } = "";
        /// <summary>Region (state, province) within the country; omit for the whole country.</summary>
        [QueryParam]
        public string? Region { get; set; }
    }

    public override async Task<Results<NoContent, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (country, region, http) = (req.Country, req.Region, HttpContext);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var deleted = await conn.QuerySingleOrDefaultAsync<PricingRules.TaxRow>("""
            delete from tax_rates where country = @country and region = @region
            returning country, region, rate_basis_points, prices_include_tax, version
            """, new { country, region = region?.Trim().ToUpperInvariant() ?? "" }, tx);
        if (deleted is null)
        {
            return NotFound($"No tax rate for {country}{(string.IsNullOrEmpty(region) ? "" : "/" + region)}.");
        }
        var log = new WriteLog(conn, tx, Actor.From(http));
        await log.EventAsync("tax-rate.deleted", "pricing", $"{country}:{region}");
        await log.AuditAsync("tax-rate.deleted", "tax-rate", $"{country}:{region}", SetTaxRate.ToContract(deleted), null, ApiJsonContext.Default.TaxRate);
        await tx.CommitAsync(ct);
        rules.Invalidate();
        return TypedResults.NoContent();
    }
}
