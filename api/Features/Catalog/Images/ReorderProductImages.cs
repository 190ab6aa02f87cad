using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Catalog.Admin;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Images;

/// <summary>Sets the order and alt texts of a product's uploaded images. Images given by URL (through the
/// product's own PATCH) have no id: they keep their order after the uploaded ones.</summary>
public sealed class ReorderProductImages(NpgsqlDataSource db, CatalogCache cache)
    : Endpoint<ReorderProductImages.Request, Results<Ok<ProductDetail>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Put("/products/{id:guid}/images");
        Group<AdminApi>();
        Options(b => b.WithMetadata(IfMatchRequired.Metadata));
        Policies(Platform.Security.Policies.CatalogStaff);
        Description(b => b.WithName("ReorderProductImages").WithTags("Admin catalog")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired));
        Summary(s =>
        {
            s.Summary = "Reorder a product's uploaded images and set their alt texts";
            s.Description = "List every uploaded image of the product once, by id, in the order the shop should show them (the first is the product's main image), each with its alt text. "
                + "An unknown, missing or repeated id is a 400 naming it. Requires If-Match with the product's ETag (412 when stale, 428 when missing).";
        });
    }

    public sealed class Request : JsonBody<ProductImagesRequest>
    {
        [RouteParam]
        public Guid Id { get; set; }

        /// <summary>The product's ETag from GET, e.g. "v3".</summary>
        [FromHeader("If-Match", IsRequired = false)]
        public string? IfMatch { get; set; }
    }

    public sealed class Validator(IValidator<ProductImagesRequest> rules) : JsonBodyValidator<Request, ProductImagesRequest>(rules);

    public override async Task<Results<Ok<ProductDetail>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (id, body, http) = (req.Id, req.Body, HttpContext);
        var expected = Versions.ParseIfMatch(req.IfMatch);
        if (expected.IsMissing)
        {
            return PreconditionRequired();
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var write = new WriteLog(conn, tx, Actor.From(http));
        var current = await ProductWrites.LockAsync(write, id);
        if (current is null)
        {
            return NotFound($"No product has the id {id}.");
        }
        if (expected.Version != current.Version)
        {
            return ProductImageWrites.Stale(current.Version);
        }
        var images = await ProductImageWrites.ReadAsync(write, id);
        var uploaded = images.Where(i => i.Id is not null).ToDictionary(i => i.Id!.Value);
        var listed = body.Images!;
        var errors = new Dictionary<string, string[]>();
        for (var i = 0; i < listed.Count; i++)
        {
            if (!uploaded.ContainsKey(listed[i].Id!.Value))
            {
                errors[$"images[{i}].id"] = ["The product has no uploaded image with this id."];
            }
        }
        var missing = uploaded.Keys.Except(listed.Select(l => l.Id!.Value)).ToList();
        if (missing.Count > 0)
        {
            errors["images"] = [$"List every uploaded image of the product; missing: {string.Join(", ", missing)}."];
        }
        if (errors.Count > 0)
        {
            return Validation(errors, "The list must name each of the product's uploaded images exactly once. Reload the product and try again.");
        }
        var reordered = listed.Select(l => uploaded[l.Id!.Value] with { Alt = l.Alt?.Trim() ?? "" })
            .Concat(images.Where(i => i.Id is null)).ToList();
        var before = (await ProductWrites.LoadAsync(write, id))!;
        var after = await ProductImageWrites.WriteAsync(write, id, reordered, "product.images_updated", before);
        await tx.CommitAsync(ct);
        cache.InvalidateProduct(id);
        Versions.SetETag(http, after.Version);
        return TypedResults.Ok(after);
    }
}

public sealed class ProductImagesRequestValidator : AbstractValidator<ProductImagesRequest>
{
    public ProductImagesRequestValidator()
    {
        RuleFor(r => r.Images).NotNull().WithMessage("Send `images`: every uploaded image's id, in order, with its alt text.");
        RuleForEach(r => r.Images).ChildRules(image =>
        {
            image.RuleFor(i => i.Id).NotNull().WithMessage("Required.");
            image.RuleFor(i => i.Alt).MaximumLength(ProductImageWrites.MaxAltLength).WithMessage($"Keep alt text to {ProductImageWrites.MaxAltLength} characters.");
        });
        RuleFor(r => r.Images).Must(list => list is null || list.Where(i => i.Id is not null).Select(i => i.Id).Distinct().Count() == list.Count(i => i.Id is not null))
            .WithMessage("Each image may appear only once.");
    }
}
