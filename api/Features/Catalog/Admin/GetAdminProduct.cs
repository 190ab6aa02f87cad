using FastEndpoints;
using Headless.Api.Features.Catalog.Products;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Contracts.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Features.Catalog.Admin;

public sealed class GetAdminProduct(NpgsqlDataSource db)
    : Endpoint<GetAdminProduct.Request, Results<Ok<ProductDetail>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/products/{id:guid}");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.CatalogStaff);
        // From the route only: a query value of the same name must not replace it, and no body is read.
        RequestBinder(new RequestBinder<Request>(BindingSource.RouteValues));
        Description(b => b.WithName("GetAdminProduct").WithTags("Admin catalog").ProducesProblem(StatusCodes.Status404NotFound));
        Summary(s => s.Summary = "Get any product (draft, active or archived) with its version ETag for a later If-Match");
    }

    public sealed class Request
    {
        public Guid Id { get; set; }
    }

    public override async Task<Results<Ok<ProductDetail>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (id, http) = (req.Id, HttpContext);
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
