using System.Text.Json.Nodes;
using Dapper;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Admin;

public static class ArchiveVariant
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/products/{productId:guid}/variants/{variantId:guid}/archive", Handle)
        .WithName("ArchiveVariant")
        .WithSummary("Archive a variant: it can no longer be bought; its SKU and stock history stay")
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<Results<Ok<ProductVariant>, ProblemHttpResult>> Handle(
        Guid productId, Guid variantId, HttpContext http, NpgsqlDataSource db, CatalogCache cache, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var log = new WriteLog(conn, tx, Actor.From(http));
        var product = await ProductWrites.LockAsync(log, productId);
        if (product is null)
        {
            return NotFound($"No product has the id {productId}.");
        }
        var before = (await ProductWrites.LoadAsync(log, productId))!;
        var variant = before.Variants.SingleOrDefault(v => v.Id == variantId);
        if (variant is null)
        {
            return NotFound($"Product {productId} has no variant {variantId}.");
        }
        if (variant.Status == "archived")
        {
            Versions.SetETag(http, variant.Version);
            return TypedResults.Ok(variant);
        }
        if (product.Status == "active" && before.Variants.Count(v => v.Status == "active") == 1)
        {
            return Conflict("This is the last active variant of an active product. Archive the product, or add another variant first.");
        }
        await conn.ExecuteAsync(
            "update variants set status = 'archived', version = version + 1, updated_at = now() where id = @variantId", new { variantId }, tx);
        await ProductWrites.TouchAfterVariantChangeAsync(log, productId);
        var after = (await ProductWrites.LoadAsync(log, productId))!;
        await ProductWrites.RecordAsync(log, "variant.archived", productId, before, after, new JsonObject { ["sku"] = variant.Sku });
        await tx.CommitAsync(ct);
        cache.InvalidateProduct(productId);

        var archived = after.Variants.Single(v => v.Id == variantId);
        Versions.SetETag(http, archived.Version);
        return TypedResults.Ok(archived);
    }
}
