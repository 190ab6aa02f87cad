using Headless.Api.Features.Catalog.Categories;
using Headless.Api.Features.Catalog.Changes;
using Headless.Api.Features.Catalog.Products;
using Microsoft.AspNetCore.Mvc;

namespace Headless.Api.Features.Catalog;

public static class CatalogEndpoints
{
    public static void MapCatalog(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1").WithTags("Catalog").AllowAnonymous()
            .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status500InternalServerError, typeof(ProblemDetails), ["application/problem+json"]));
        ListProducts.Map(group);
        GetProduct.Map(group);
        GetCategoryTree.Map(group);
        GetCatalogChanges.Map(group);
        ExportProducts.Map(group);
    }
}
