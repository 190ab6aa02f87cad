using FastEndpoints;
using Headless.Api.Features.Catalog;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Commerce;
using Microsoft.Extensions.Options;

namespace Headless.Api.Features.Pricing.Admin;

public sealed class ListShippingMethods(PricingRules rules, IOptions<CatalogOptions> catalog)
    : EndpointWithoutRequest<Microsoft.AspNetCore.Http.HttpResults.Ok<ShippingMethodList>>
{
    public override void Configure()
    {
        Get("/shipping-methods");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.OrderStaff);
        Description(b => b.WithName("ListShippingMethods").WithTags("Admin pricing"));
        Summary(s => s.Summary = "List shipping methods and their rates");
    }

    public override async Task<Microsoft.AspNetCore.Http.HttpResults.Ok<ShippingMethodList>> ExecuteAsync(CancellationToken ct)
    {
        var snapshot = await rules.GetAsync(ct);
        return TypedResults.Ok(new ShippingMethodList(snapshot.Methods
            .Select(m => PricingAdmin.ToContract(m, snapshot.Rates[m.Id], catalog.Value.Currency)).ToList()));
    }
}
