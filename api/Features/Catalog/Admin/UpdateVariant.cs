using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Admin;

public sealed class UpdateVariant(NpgsqlDataSource db, CatalogCache cache)
    : Endpoint<UpdateVariant.Request, Results<Ok<ProductVariant>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Patch("/products/{productId:guid}/variants/{variantId:guid}");
        Group<AdminApi>();
        Options(b => b.WithMetadata(Platform.Http.IfMatchRequired.Metadata));
        Policies(Platform.Security.Policies.CatalogStaff);
        Description(b => b.WithName("UpdateVariant").WithTags("Admin catalog")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired));
        Summary(s => s.Summary = "Change a variant's title, options, price or weight. Requires If-Match with the variant's ETag");
    }

    public sealed class Request : JsonBody<UpdateVariantRequest>
    {
        [RouteParam]
        public Guid ProductId { get; set; }

        [RouteParam]
        public Guid VariantId { get; set; }

        /// <summary>The variant's ETag, e.g. "v3" (its version in GET product's variants).</summary>
        [FromHeader("If-Match", IsRequired = false)]
        public string? IfMatch { get; set; }
    }

    public sealed class Validator(IValidator<UpdateVariantRequest> rules) : JsonBodyValidator<Request, UpdateVariantRequest>(rules);

    public override async Task<Results<Ok<ProductVariant>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (productId, variantId, request, ifMatch, http) = (req.ProductId, req.VariantId, req.Body, req.IfMatch, HttpContext);
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
        if (ProductWrites.UnknownOptions(before.OptionNames ?? [], [("options", request.Options)]).FirstOrDefault() is { Field: not null } unknown)
        {
            return Validation(unknown.Field, unknown.Message);
        }
        var price = request.Price?.Amount ?? variant.Price.Amount;
        var compareAt = request.RemoveCompareAtPrice == true ? null : request.CompareAtPrice?.Amount ?? variant.CompareAtPrice?.Amount;
        if (compareAt <= price)
        {
            return Validation(request.CompareAtPrice is null ? "price" : "compareAtPrice",
                $"The compare-at price ({compareAt}) must be greater than the price ({price}). Raise it, or send removeCompareAtPrice: true.");
        }
        await conn.ExecuteAsync("""
            update variants set
                title = coalesce(@title, title),
                options = coalesce(@options::jsonb, options),
                price_amount = @price,
                compare_at_minor = @compareAt,
                weight_grams = coalesce(@weight, weight_grams),
                version = version + 1,
                updated_at = now()
            where id = @variantId
            """, new
        {
            variantId,
            title = request.Title,
            options = request.Options is null ? null : JsonSerializer.Serialize(request.Options, ApiJsonContext.Default.DictionaryStringString),
            price,
            compareAt,
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
