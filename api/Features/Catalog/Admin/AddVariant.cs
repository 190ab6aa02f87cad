using System.Text.Json.Nodes;
using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Admin;

public sealed class AddVariant(NpgsqlDataSource db, CatalogCache cache)
    : Endpoint<AddVariant.Request, Results<Created<ProductVariant>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/products/{productId:guid}/variants");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.CatalogStaff);
        Description(b => b.WithName("AddVariant").WithTags("Admin catalog")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict));
        Summary(s => s.Summary = "Add a variant (SKU, options, price, weight, initial stock) to a product");
    }

    public sealed class Request : JsonBody<CreateVariantRequest>
    {
        [RouteParam]
        public Guid ProductId { get; set; }
    }

    public sealed class Validator(IValidator<CreateVariantRequest> rules) : JsonBodyValidator<Request, CreateVariantRequest>(rules);

    public override async Task<Results<Created<ProductVariant>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (productId, request, http) = (req.ProductId, req.Body, HttpContext);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var log = new WriteLog(conn, tx, Actor.From(http));
        if (await ProductWrites.LockAsync(log, productId) is null)
        {
            return NotFound($"No product has the id {productId}.");
        }
        var before = (await ProductWrites.LoadAsync(log, productId))!;
        if (ProductWrites.UnknownOptions(before.OptionNames ?? [], [("options", request.Options)]).FirstOrDefault() is { Field: not null } unknown)
        {
            return Validation(unknown.Field, unknown.Message);
        }
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
