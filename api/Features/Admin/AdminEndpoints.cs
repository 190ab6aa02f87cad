using Headless.Api.Features.Catalog.Admin;
using Headless.Api.Platform.Security;
using Microsoft.AspNetCore.Mvc;

namespace Headless.Api.Features.Admin;

public static class AdminEndpoints
{
    public static void MapAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/v1/admin")
            .RequireAuthorization()
            .WithMetadata(
                new ProducesResponseTypeMetadata(StatusCodes.Status401Unauthorized, typeof(ProblemDetails), ["application/problem+json"]),
                new ProducesResponseTypeMetadata(StatusCodes.Status403Forbidden, typeof(ProblemDetails), ["application/problem+json"]),
                new ProducesResponseTypeMetadata(StatusCodes.Status500InternalServerError, typeof(ProblemDetails), ["application/problem+json"]));

        var catalog = admin.MapGroup("").WithTags("Admin catalog").RequireAuthorization(Policies.CatalogStaff);
        GetAdminProduct.Map(catalog);
        ArchiveProduct.Map(catalog);
        AddVariant.Map(catalog);
        UpdateVariant.Map(catalog);
        ArchiveVariant.Map(catalog);
        CreateCategory.Map(catalog);
        UpdateCategory.Map(catalog);
        DeleteCategory.Map(catalog);

        var inventory = admin.MapGroup("").WithTags("Admin inventory").RequireAuthorization(Policies.CatalogStaff);
        GetStock.Map(inventory);
        SetStock.Map(inventory);
        AdjustStock.Map(inventory);

        Commerce.CommerceSetup.MapCommerceAdmin(admin);
    }
}
