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

public sealed class UpdateProduct(NpgsqlDataSource db, CatalogCache cache)
    : Endpoint<UpdateProduct.Request, Results<Ok<ProductDetail>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Patch("/products/{id:guid}");
        Group<AdminApi>();
        Options(b => b.WithMetadata(Platform.Http.IfMatchRequired.Metadata));
        Policies(Platform.Security.Policies.CatalogStaff);
        Description(b => b.WithName("UpdateProduct").WithTags("Admin catalog")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired));
        Summary(s => s.Summary = "Change a product's fields; only the fields sent change. Requires If-Match with the product's ETag");
    }

    public sealed class Request : JsonBody<UpdateProductRequest>
    {
        [RouteParam]
        public Guid Id { get; set; }

        /// <summary>The product's ETag from GET, e.g. "v3".</summary>
        [FromHeader("If-Match", IsRequired = false)]
        public string? IfMatch { get; set; }
    }

    public sealed class Validator(IValidator<UpdateProductRequest> rules) : JsonBodyValidator<Request, UpdateProductRequest>(rules);

    public override async Task<Results<Ok<ProductDetail>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (id, request, ifMatch, http) = (req.Id, req.Body, req.IfMatch, HttpContext);
        var expected = Versions.ParseIfMatch(ifMatch);
        if (expected.IsMissing)
        {
            return PreconditionRequired();
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var log = new WriteLog(conn, tx, Actor.From(http));

        var current = await ProductWrites.LockAsync(log, id);
        if (current is null)
        {
            return NotFound($"No product has the id {id}.");
        }
        if (expected.Version != current.Version)
        {
            return PreconditionFailed($"The product is at version {current.Version} ({Versions.ETag(current.Version)}). GET it again, reapply your change and send the new ETag.");
        }
        var missing = await ProductWrites.MissingCategoriesAsync(log, request.CategoryIds);
        if (missing.Count > 0)
        {
            return Validation("categoryIds", $"No category has the id {string.Join(", ", missing)}.");
        }
        if (request.Status == "active" && !await conn.ExecuteScalarAsync<bool>(
                "select exists (select 1 from variants where product_id = @id and status = 'active')", new { id }, tx))
        {
            return Validation("status", "An active product needs at least one active variant. Add a variant first.");
        }
        if (request.Slug is not null && request.Slug != current.Slug && await conn.ExecuteScalarAsync<bool>(
                "select exists (select 1 from products where slug = @slug)", new { slug = request.Slug }, tx))
        {
            return Conflict($"The slug '{request.Slug}' is taken by another product.",
                new Dictionary<string, string[]> { ["slug"] = ["This slug is already used; choose another."] });
        }

        var before = (await ProductWrites.LoadAsync(log, id))!;
        if (request.OptionNames is not null)
        {
            var stranded = ProductWrites.UnknownOptions(request.OptionNames,
                before.Variants.Where(v => v.Status == "active").Select(v => (v.Sku, (IReadOnlyDictionary<string, string>?)v.Options))).ToList();
            if (stranded.Count > 0)
            {
                return Validation("optionNames", $"Variant {stranded[0].Field} uses an option this list drops. " + stranded[0].Message);
            }
        }
        await conn.ExecuteAsync("""
            update products set
                slug = coalesce(@slug, slug),
                title = coalesce(@title, title),
                description = coalesce(@description, description),
                status = coalesce(@status, status),
                images = coalesce(@images::jsonb, images),
                tags = coalesce(@tags, tags),
                featured = coalesce(@featured, featured),
                seo_title = case when @seoTitle::text is null then seo_title else nullif(@seoTitle, '') end,
                seo_description = case when @seoDescription::text is null then seo_description else nullif(@seoDescription, '') end,
                vendor = coalesce(@vendor, vendor),
                product_type = coalesce(@productType, product_type),
                option_names = coalesce(@optionNames, option_names),
                version = version + 1,
                updated_at = now()
            where id = @id
            """, new
        {
            id,
            slug = request.Slug,
            title = request.Title,
            description = request.Description,
            status = request.Status,
            images = request.Images is null ? null : ProductWrites.ImagesJson(request.Images),
            tags = request.Tags?.Distinct().ToArray(),
            featured = request.Featured,
            seoTitle = request.SeoTitle?.Trim(),
            seoDescription = request.SeoDescription?.Trim(),
            vendor = request.Vendor?.Trim(),
            productType = request.ProductType?.Trim(),
            optionNames = request.OptionNames?.ToArray(),
        }, tx);
        if (request.CategoryIds is not null)
        {
            await ProductWrites.SetCategoriesAsync(log, id, request.CategoryIds);
        }
        var after = (await ProductWrites.LoadAsync(log, id))!;
        await ProductWrites.RecordAsync(log, "product.updated", id, before, after);
        await tx.CommitAsync(ct);
        cache.InvalidateProduct(id);

        Versions.SetETag(http, after.Version);
        return TypedResults.Ok(after);
    }
}
