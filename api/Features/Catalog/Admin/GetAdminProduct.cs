using Headless.Api.Features.Catalog.Products;
using Headless.Api.Platform.Http;
using Headless.Contracts.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Features.Catalog.Admin;

public static class GetAdminProduct
{
    public static void Map(RouteGroupBuilder group) => group
        .MapGet("/products/{id:guid}", Handle)
        .WithName("GetAdminProduct")
        .WithSummary("Get any product (draft, active or archived) with its version ETag for a later If-Match")
        .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Results<Ok<ProductDetail>, ProblemHttpResult>> Handle(Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var product = await ProductQueries.LoadAsync(conn, id);
        if (product is null)
        {
            return Platform.Problems.Problems.NotFound($"No product has the id {id}.");
        }
        Versions.SetETag(http, product.Version);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(product);
    }
}
