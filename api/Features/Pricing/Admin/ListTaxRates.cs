using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Headless.Api.Features.Pricing.Admin;

public sealed class ListTaxRates(PricingRules rules) : EndpointWithoutRequest<Ok<TaxRateList>>
{
    public override void Configure()
    {
        Get("/tax-rates");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.OrderStaff);
        Description(b => b.WithName("ListTaxRates").WithTags("Admin pricing"));
        Summary(s => s.Summary = "List tax rates by country and region");
    }

    public override async Task<Ok<TaxRateList>> ExecuteAsync(CancellationToken ct) =>
        TypedResults.Ok(new TaxRateList((await rules.GetAsync(ct)).Taxes
            .Select(t => new TaxRate(t.Country, t.Region, t.RateBasisPoints, t.PricesIncludeTax, t.Version)).ToList()));
}
