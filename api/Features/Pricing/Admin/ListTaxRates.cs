using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Headless.Api.Features.Pricing.Admin;

public static class ListTaxRates
{
    public static void Map(RouteGroupBuilder group) => group
        .MapGet("/tax-rates", Handle)
        .WithName("ListTaxRates")
        .WithSummary("List tax rates by country and region");

    private static async Task<Ok<TaxRateList>> Handle(PricingRules rules, CancellationToken ct) =>
        TypedResults.Ok(new TaxRateList((await rules.GetAsync(ct)).Taxes
            .Select(t => new TaxRate(t.Country, t.Region, t.RateBasisPoints, t.PricesIncludeTax, t.Version)).ToList()));
}
