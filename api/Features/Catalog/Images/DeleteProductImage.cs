using FastEndpoints;
using Headless.Api.Features.Catalog.Admin;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Images;

public sealed class DeleteProductImage(NpgsqlDataSource db, CatalogCache cache, ImagePipeline pipeline, ILogger<DeleteProductImage> log)
    : Endpoint<DeleteProductImage.Request, Results<Ok<ProductDetail>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Delete("/products/{id:guid}/images/{imageId:guid}");
        Group<AdminApi>();
        RequestBinder(new RequestBinder<Request>(BindingSource.RouteValues | BindingSource.Headers));
        Options(b => b.WithMetadata(IfMatchRequired.Metadata));
        Policies(Platform.Security.Policies.CatalogStaff);
        Description(b => b.WithName("DeleteProductImage").WithTags("Admin catalog")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired));
        Summary(s =>
        {
            s.Summary = "Remove an uploaded image from a product";
            s.Description = "Removes the image from the product's `images` and answers the product. Its files leave the object store once no product shows them. Requires If-Match with the product's ETag (412 when stale, 428 when missing); 404 when the product or the image is not there.";
        });
    }

    public sealed class Request
    {
        [RouteParam]
        public Guid Id { get; set; }

        [RouteParam]
        public Guid ImageId { get; set; }

        /// <summary>The product's ETag from GET, e.g. "v3".</summary>
        [FromHeader("If-Match", IsRequired = false)]
        public string? IfMatch { get; set; }
    }

    public override async Task<Results<Ok<ProductDetail>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (id, http) = (req.Id, HttpContext);
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
        var removed = images.Find(i => i.Id == req.ImageId);
        if (removed is null)
        {
            return NotFound($"The product has no image with the id {req.ImageId}. Reload the product to see its images.");
        }
        images.Remove(removed);
        var before = (await ProductWrites.LoadAsync(write, id))!;
        var after = await ProductImageWrites.WriteAsync(write, id, images, "product.image_deleted", before);
        await tx.CommitAsync(ct);
        cache.InvalidateProduct(id);
        await ProductImageWrites.DeleteUnusedAsync(db, pipeline.Store, [removed], log, CancellationToken.None);
        Versions.SetETag(http, after.Version);
        return TypedResults.Ok(after);
    }
}
