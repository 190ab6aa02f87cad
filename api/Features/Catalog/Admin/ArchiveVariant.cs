using System.Text.Json.Nodes;
using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Admin;

public sealed class ArchiveVariant(NpgsqlDataSource db, CatalogCache cache)
    : Endpoint<ArchiveVariant.Request, Results<Ok<ProductVariant>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/products/{productId:guid}/variants/{variantId:guid}/archive");
        Group<AdminApi>();
        Options(b => b.WithMetadata(Platform.Http.IfMatchRequired.Metadata));
        Policies(Platform.Security.Policies.CatalogStaff);
        // Route and If-Match only: no body is read (the C# SDK sends an empty application/json one with a
        // bodyless POST), and a query value of the same name must not replace a route value.
        RequestBinder(new RequestBinder<Request>(BindingSource.RouteValues | BindingSource.Headers));
        Description(b => b.WithName("ArchiveVariant").WithTags("Admin catalog")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired));
        Summary(s => s.Summary = "Archive a variant: it can no longer be bought; its SKU and stock history stay. Requires If-Match with the variant's ETag");
    }

    public sealed class Request
    {
        public Guid ProductId { get; set; }
        public Guid VariantId { get; set; }

        /// <summary>The variant's ETag, e.g. "v3" (its version in GET product's variants).</summary>
        [FromHeader("If-Match", IsRequired = false)]
        public string? IfMatch { get; set; }
    }

    public override async Task<Results<Ok<ProductVariant>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (productId, variantId, http) = (req.ProductId, req.VariantId, HttpContext);
        var expected = Versions.ParseIfMatch(req.IfMatch);
        if (expected.IsMissing)
        {
            return PreconditionRequired();
        }
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
        if (expected.Version != variant.Version)
        {
            return PreconditionFailed($"The variant is at version {variant.Version} ({Versions.ETag(variant.Version)}). GET the product again and resend.");
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
