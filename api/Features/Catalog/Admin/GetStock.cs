using Headless.Api.Platform.Http;
using Headless.Contracts.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Features.Catalog.Admin;

public static class GetStock
{
    public static void Map(RouteGroupBuilder group) => group
        .MapGet("/inventory/{sku}", Handle)
        .WithName("GetStock")
        .WithSummary("Get a SKU's stock: on hand, reserved by open checkouts, available")
        .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Results<Ok<StockLevel>, ProblemHttpResult>> Handle(string sku, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
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
