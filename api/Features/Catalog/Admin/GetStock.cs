using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Contracts.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Features.Catalog.Admin;

public sealed class GetStock(NpgsqlDataSource db)
    : Endpoint<GetStock.Request, Results<Ok<StockLevel>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/inventory/{sku}");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.CatalogStaff);
        // From the route only: a query value of the same name must not replace it, and no body is read.
        RequestBinder(new RequestBinder<Request>(BindingSource.RouteValues));
        Description(b => b.WithName("GetStock").WithTags("Admin inventory").ProducesProblem(StatusCodes.Status404NotFound));
        Summary(s => s.Summary = "Get a SKU's stock: on hand, reserved by open checkouts, available");
    }

    public sealed class Request
    {
        public string Sku { get; set; } = "";
    }

    public override async Task<Results<Ok<StockLevel>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (sku, http) = (req.Sku, HttpContext);
        await using var conn = await db.OpenConnectionAsync(ct);
        var level = await StockWrites.GetAsync(conn, sku);
        if (level is null)
        {
            return Platform.Problems.Problems.NotFound($"No SKU '{sku}' is stocked.");
        }
        Versions.SetETag(http, level.Version);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(level);
    }
}
