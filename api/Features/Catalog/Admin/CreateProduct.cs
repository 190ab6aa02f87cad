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

public sealed class CreateProduct(NpgsqlDataSource db, CatalogCache cache)
    : Endpoint<CreateProduct.Request, Results<Created<ProductDetail>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/products");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.CatalogStaff);
        Description(b => b.WithName("CreateProduct").WithTags("Admin catalog").ProducesProblem(StatusCodes.Status409Conflict));
        Summary(s => s.Summary = "Create a product with its variants and initial stock");
    }

    public sealed class Request : JsonBody<CreateProductRequest>;

    public sealed class Validator(IValidator<CreateProductRequest> rules) : JsonBodyValidator<Request, CreateProductRequest>(rules);

    public override async Task<Results<Created<ProductDetail>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = (req.Body, HttpContext);
        var id = Guid.CreateVersion7();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var log = new WriteLog(conn, tx, Actor.From(http));

        var missing = await ProductWrites.MissingCategoriesAsync(log, request.CategoryIds);
        if (missing.Count > 0)
        {
            return Validation("categoryIds", $"No category has the id {string.Join(", ", missing)}.");
        }
        var optionNames = request.OptionNames ?? ProductWrites.OptionNamesOf(request.Variants ?? []);
        var inserted = await conn.ExecuteAsync("""
            insert into products (id, slug, title, description, status, images, tags, featured,
                                  seo_title, seo_description, vendor, product_type, option_names)
            values (@id, @slug, @title, @description, @status, @images::jsonb, @tags, @featured,
                    @seoTitle, @seoDescription, @vendor, @productType, @optionNames)
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
            seoTitle = ProductWrites.Blank(request.SeoTitle),
            seoDescription = ProductWrites.Blank(request.SeoDescription),
            vendor = request.Vendor?.Trim() ?? "",
            productType = request.ProductType?.Trim() ?? "",
            optionNames = optionNames.ToArray(),
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
