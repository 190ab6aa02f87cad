using Dapper;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Admin.Products;

public static class CreateProduct
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/products", Handle)
        .WithName("CreateProduct")
        .WithSummary("Create a product with its variants and initial stock")
        .Validate<CreateProductRequest>()
        .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<Results<Created<ProductDetail>, ProblemHttpResult>> Handle(
        CreateProductRequest request, HttpContext http, NpgsqlDataSource db, CatalogCache cache, CancellationToken ct)
    {
        var id = Guid.CreateVersion7();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var log = new WriteLog(conn, tx, Actor.From(http));

        var missing = await ProductWrites.MissingCategoriesAsync(log, request.CategoryIds);
        if (missing.Count > 0)
        {
            return Validation("categoryIds", $"No category has the id {string.Join(", ", missing)}.");
        }
        var inserted = await conn.ExecuteAsync("""
            insert into products (id, slug, title, description, status, images, tags, featured)
            values (@id, @slug, @title, @description, @status, @images::jsonb, @tags, @featured)
            on conflict (slug) do nothing
            """, new
        {
            id,
            slug = request.Slug,
            title = request.Title,
            description = request.Description ?? "",
            status = request.Status ?? "draft",
            images = ProductWrites.ImagesJson(request.Images ?? []),
            tags = (request.Tags ?? []).Distinct().ToArray(),
            featured = request.Featured ?? false,
        }, tx);
        if (inserted == 0)
        {
            return Conflict($"The slug '{request.Slug}' is taken by another product.",
                new Dictionary<string, string[]> { ["slug"] = ["This slug is already used; choose another."] });
        }
        await ProductWrites.SetCategoriesAsync(log, id, request.CategoryIds ?? []);
        var variants = request.Variants ?? [];
        for (var i = 0; i < variants.Count; i++)
        {
            if (await ProductWrites.InsertVariantAsync(log, id, variants[i], i) is null)
            {
                await tx.RollbackAsync(ct);
                return Conflict($"The SKU '{variants[i].Sku}' belongs to another variant.",
                    new Dictionary<string, string[]> { [$"variants[{i}].sku"] = ["This SKU is already used."] });
            }
        }
        await ProductWrites.SetMinPriceAsync(log, id);
        var product = (await ProductWrites.LoadAsync(log, id))!;
        await ProductWrites.RecordAsync(log, "product.created", id, null, product);
        await tx.CommitAsync(ct);
        cache.InvalidateProduct(id);

        Versions.SetETag(http, product.Version);
        return TypedResults.Created($"/api/v1/admin/products/{id}", product);
    }
}
