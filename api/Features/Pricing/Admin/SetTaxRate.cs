using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Geography;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Pricing.Admin;

public sealed class SetTaxRate(NpgsqlDataSource db, PricingRules rules) : Endpoint<SetTaxRate.Request, Results<Ok<TaxRate>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Put("/tax-rates/{country}");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.OrderStaff);
        Description(b => b.WithName("SetTaxRate").WithTags("Admin pricing")
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired));
        Summary(s => s.Summary = "Set the tax rate of a country, or of one of its regions with ?region= (a US state), and whether prices there include tax. Changing an existing rate requires If-Match with its ETag (its version in GET /tax-rates)");
    }

    public sealed class Request : JsonBody<SetTaxRateRequest>
    {
        [RouteParam]
        public string Country { get; set; } = "";
        /// <summary>Region (state, province) within the country; omit for the whole country.</summary>
        [QueryParam]
        public string? Region { get; set; }

        /// <summary>The rate's ETag, e.g. "v3", when it exists already; leave it out to create a new one.</summary>
        [FromHeader("If-Match", IsRequired = false)]
        public string? IfMatch { get; set; }
    }

    public sealed class Validator(IValidator<SetTaxRateRequest> rules) : JsonBodyValidator<Request, SetTaxRateRequest>(rules);

    public override async Task<Results<Ok<TaxRate>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (country, region, request, http) = (req.Country, req.Region, req.Body, HttpContext);
        if (!Countries.IsCode(country))
        {
            return Validation("country", "Use an ISO 3166 two-letter country code in capitals, like DE or US.");
        }
        region = region?.Trim().ToUpperInvariant() ?? "";
        if (region.Length > 50 || !region.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            return Validation("region", "Use a region code such as CA or NY.");
        }
        var expected = Versions.ParseIfMatch(req.IfMatch);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var before = await conn.QuerySingleOrDefaultAsync<PricingRules.TaxRow>(
            "select country, region, rate_basis_points, prices_include_tax, version from tax_rates where country = @country and region = @region for update",
            new { country, region }, tx);
        if (before is { Version: var version })
        {
            if (expected.IsMissing)
            {
                return PreconditionRequired();
            }
            if (expected.Version != version)
            {
                return PreconditionFailed($"The tax rate is at version {version} ({Versions.ETag(version)}). GET /tax-rates again and resend.");
            }
        }
        else if (!expected.IsMissing)
        {
            return PreconditionFailed($"There is no tax rate for {country}{(region.Length == 0 ? "" : "/" + region)} to match; leave out If-Match to create it.");
        }
        // A rate created meanwhile by someone else is not overwritten: do nothing, and say so.
        var rate = await conn.QuerySingleOrDefaultAsync<PricingRules.TaxRow>("""
            insert into tax_rates (country, region, rate_basis_points, prices_include_tax) values (@country, @region, @rate, @inclusive)
            on conflict (country, region) do update set rate_basis_points = excluded.rate_basis_points,
                prices_include_tax = excluded.prices_include_tax, version = tax_rates.version + 1, updated_at = now()
                where @exists
            returning country, region, rate_basis_points, prices_include_tax, version
            """, new { country, region, rate = request.RateBasisPoints, inclusive = request.PricesIncludeTax, exists = before is not null }, tx);
        if (rate is null)
        {
            return PreconditionFailed($"A tax rate for {country}{(region.Length == 0 ? "" : "/" + region)} was just created by someone else. GET /tax-rates and resend with If-Match.");
        }
        var log = new WriteLog(conn, tx, Actor.From(http));
        await log.EventAsync("tax-rate.set", "pricing", $"{country}:{region}");
        await log.AuditAsync("tax-rate.set", "tax-rate", $"{country}:{region}", ToContract(before), ToContract(rate), ApiJsonContext.Default.TaxRate);
        await tx.CommitAsync(ct);
        rules.Invalidate();
        Versions.SetETag(http, rate.Version);
        return TypedResults.Ok(ToContract(rate)!);
    }

    public static TaxRate? ToContract(PricingRules.TaxRow? rate) =>
        rate is null ? null : new TaxRate(rate.Country, rate.Region, rate.RateBasisPoints, rate.PricesIncludeTax, rate.Version);
}
