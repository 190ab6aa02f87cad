using System.Text.Json.Nodes;
using Dapper;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Admin;

public static class AddVariant
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/products/{productId:guid}/variants", Handle)
        .WithName("AddVariant")
        .WithSummary("Add a variant (SKU, options, price, weight, initial stock) to a product")
        .Validate<CreateVariantRequest>()
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<Results<Created<ProductVariant>, ProblemHttpResult>> Handle(
        Guid productId, CreateVariantRequest request, HttpContext http, NpgsqlDataSource db, CatalogCache cache, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var log = new WriteLog(conn, tx, Actor.From(http));
        if (await ProductWrites.LockAsync(log, productId) is null)
        {
            return NotFound($"No product has the id {productId}.");
        }
        var before = await ProductWrites.LoadAsync(log, productId);
        var position = await conn.ExecuteScalarAsync<int>(
            "select coalesce(max(position) + 1, 0) from variants where product_id = @productId", new { productId }, tx);
        var variantId = await ProductWrites.InsertVariantAsync(log, productId, request, position);
        if (variantId is null)
        {
            return Conflict($"The SKU '{request.Sku}' belongs to another variant.",
                new Dictionary<string, string[]> { ["sku"] = ["This SKU is already used."] });
        }
        await ProductWrites.TouchAfterVariantChangeAsync(log, productId);
        var after = (await ProductWrites.LoadAsync(log, productId))!;
        await ProductWrites.RecordAsync(log, "variant.created", productId, before, after, new JsonObject { ["sku"] = request.Sku });
        await tx.CommitAsync(ct);
        cache.InvalidateProduct(productId);

        var variant = after.Variants.Single(v => v.Id == variantId);
        Versions.SetETag(http, variant.Version);
        return TypedResults.Created($"/api/v1/admin/products/{productId}/variants/{variantId}", variant);
    }
}
