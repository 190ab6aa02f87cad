using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Admin;

public static class UpdateVariant
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPatch("/products/{productId:guid}/variants/{variantId:guid}", Handle)
        .WithName("UpdateVariant")
        .WithSummary("Change a variant's title, options, price or weight. Requires If-Match with the variant's ETag")
        .Validate<UpdateVariantRequest>()
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status412PreconditionFailed)
        .ProducesProblem(StatusCodes.Status428PreconditionRequired);

    private static async Task<Results<Ok<ProductVariant>, ProblemHttpResult>> Handle(
        Guid productId, Guid variantId, UpdateVariantRequest request, [FromHeader(Name = "If-Match")] string? ifMatch,
        HttpContext http, NpgsqlDataSource db, CatalogCache cache, CancellationToken ct)
    {
        var expected = Versions.ParseIfMatch(ifMatch);
        if (expected.IsMissing)
        {
            return PreconditionRequired();
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var log = new WriteLog(conn, tx, Actor.From(http));
        if (await ProductWrites.LockAsync(log, productId) is null)
        {
            return NotFound($"No product has the id {productId}.");
        }
        var before = (await ProductWrites.LoadAsync(log, productId))!;
        var variant = before.Variants.SingleOrDefault(v => v.Id == variantId);
        if (variant is null)
        {
            return NotFound($"Product {productId} has no variant {variantId}.");
        }
        if (expected.Version != variant.Version)
        {
            return PreconditionFailed($"The variant is at version {variant.Version} ({Versions.ETag(variant.Version)}). GET the product again and resend.");
        }
        await conn.ExecuteAsync("""
            update variants set
                title = coalesce(@title, title),
                options = coalesce(@options::jsonb, options),
                price_amount = coalesce(@price, price_amount),
                weight_grams = coalesce(@weight, weight_grams),
                version = version + 1,
                updated_at = now()
            where id = @variantId
            """, new
        {
            variantId,
            title = request.Title,
            options = request.Options is null ? null : JsonSerializer.Serialize(request.Options, ApiJsonContext.Default.DictionaryStringString),
            price = request.Price?.Amount,
            weight = request.WeightGrams,
        }, tx);
        await ProductWrites.TouchAfterVariantChangeAsync(log, productId);
        var after = (await ProductWrites.LoadAsync(log, productId))!;
        await ProductWrites.RecordAsync(log, "variant.updated", productId, before, after, new JsonObject { ["sku"] = variant.Sku });
        await tx.CommitAsync(ct);
        cache.InvalidateProduct(productId);

        var updated = after.Variants.Single(v => v.Id == variantId);
        Versions.SetETag(http, updated.Version);
        return TypedResults.Ok(updated);
    }
}
