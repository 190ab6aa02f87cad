using Headless.Api.Features.Catalog;
using Headless.Contracts.Commerce;
using Microsoft.Extensions.Options;

namespace Headless.Api.Features.Pricing.Admin;

public static class ListShippingMethods
{
    public static void Map(RouteGroupBuilder group) => group
        .MapGet("/shipping-methods", Handle)
        .WithName("ListShippingMethods")
        .WithSummary("List shipping methods and their rates");

    private static async Task<Microsoft.AspNetCore.Http.HttpResults.Ok<ShippingMethodList>> Handle(PricingRules rules, IOptions<CatalogOptions> catalog, CancellationToken ct)
    {
        var snapshot = await rules.GetAsync(ct);
        return TypedResults.Ok(new ShippingMethodList(snapshot.Methods
            .Select(m => PricingAdmin.ToContract(m, snapshot.Rates[m.Id], catalog.Value.Currency)).ToList()));
    }
}
