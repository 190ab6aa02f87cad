using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
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
        Options(b => b.WithMetadata(Platform.Http.IfMatchRequired.Metadata));
        Policies(Platform.Security.Policies.OrderStaff);
        Description(b => b.WithName("DeleteTaxRate").WithTags("Admin pricing")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired));
        Summary(s => s.Summary = "Remove a country's (or with ?region=, a region's) tax rate. Requires If-Match with its ETag (its version in GET /tax-rates)");
    }

    public sealed class Request
    {
        [RouteParam]
        public string Country { get; set; } = "";
        /// <summary>Region (state, province) within the country; omit for the whole country.</summary>
        [QueryParam]
        public string? Region { get; set; }

        /// <summary>The rate's ETag, e.g. "v3".</summary>
        [FromHeader("If-Match", IsRequired = false)]
        public string? IfMatch { get; set; }
    }

    public override async Task<Results<NoContent, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (country, region, http) = (req.Country, req.Region, HttpContext);
        var expected = Versions.ParseIfMatch(req.IfMatch);
        if (expected.IsMissing)
        {
            return PreconditionRequired();
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var key = new { country, region = region?.Trim().ToUpperInvariant() ?? "" };
        var before = await conn.QuerySingleOrDefaultAsync<PricingRules.TaxRow>(
            "select country, region, rate_basis_points, prices_include_tax, version from tax_rates where country = @country and region = @region for update", key, tx);
        if (before is null)
        {
            return NotFound($"No tax rate for {country}{(string.IsNullOrEmpty(region) ? "" : "/" + region)}.");
        }
        if (expected.Version != before.Version)
        {
            return PreconditionFailed($"The tax rate is at version {before.Version} ({Versions.ETag(before.Version)}). GET /tax-rates again and resend.");
        }
        await conn.ExecuteAsync("delete from tax_rates where country = @country and region = @region", key, tx);
        var log = new WriteLog(conn, tx, Actor.From(http));
        await log.EventAsync("tax-rate.deleted", "pricing", $"{country}:{region}");
        await log.AuditAsync("tax-rate.deleted", "tax-rate", $"{country}:{region}", SetTaxRate.ToContract(before), null, ApiJsonContext.Default.TaxRate);
        await tx.CommitAsync(ct);
        rules.Invalidate();
        return TypedResults.NoContent();
    }
}
