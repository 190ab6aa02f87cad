using System.Security.Cryptography;
using System.Text;
using FastEndpoints;
using Headless.Api.Features.Catalog.Admin;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Images;

/// <summary>
/// Adds an image to a product: the body is the image itself (<c>image/jpeg</c>, <c>image/png</c>,
/// <c>image/webp</c>, alt text in <c>?alt=</c>) or a form (<c>multipart/form-data</c> with <c>file</c> and
/// <c>alt</c>). The steps: the product's version (cheap, before any work), the upload's header (kind, size,
/// pixels), the renditions into the object store, then one transaction that checks the version again under
/// the row lock and appends the image. Rendering happens outside the transaction so no row lock (and no
/// transaction id holding back the change feed) lasts the second a large photo takes.
/// </summary>
public sealed class UploadProductImage(NpgsqlDataSource db, CatalogCache cache, ImagePipeline pipeline, Idempotency idempotency, ILogger<UploadProductImage> log)
    : Endpoint<UploadProductImage.Request, Results<Created<ProductDetail>, ProblemHttpResult>>
{
    /// <summary>Multipart framing around the file: boundaries, part headers and the alt field.</summary>
    private const long FormOverhead = 64 * 1024;

    public override void Configure()
    {
        Post("/products/{id:guid}/images");
        Group<AdminApi>();
        RequestBinder(new RequestBinder<Request>(BindingSource.RouteValues | BindingSource.Headers | BindingSource.QueryParams));
        Options(b => b
            .WithMetadata(IfMatchRequired.Metadata)
            .WithMetadata(new BodySizeLimit.Override(http => http.RequestServices.GetRequiredService<ImagePipeline>().Options.MaxBytes + FormOverhead))
            .WithMetadata(ImageUploadBody.Marker));
        Policies(Platform.Security.Policies.CatalogStaff);
        Description(b => b.WithName("UploadProductImage").WithTags("Admin catalog")
            // Any type reaches the handler, which refuses what is not an image with its own 415 (after
            // authorization: routing's own content-type check would answer 415 before it, even to strangers).
            .Accepts<Request>("*/*")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired));
        Summary(s =>
        {
            s.Summary = "Upload a product image (JPEG, PNG or WebP): it is processed into responsive AVIF, WebP and JPEG files and appended to the product's images";
            s.Description = "Send the image as the body (Content-Type image/jpeg, image/png or image/webp; alt text in `?alt=`) or as multipart/form-data with a `file` part and an `alt` field. "
                + "The type is sniffed from the content: a file whose content is not a JPEG, PNG or WebP, or not the type it was sent as, is a 415. "
                + "Over the size limit (default 20 MB) is a 413; more pixels than the limit (default 50 megapixels, read from the header before decoding), an animated image, or a damaged or truncated file is a 422. "
                + "The image is turned upright by its EXIF orientation, stripped of metadata (GPS, camera serials), converted to sRGB, and stored in widths 320 to 1920 (never above the original's) as AVIF, WebP and JPEG under content-hashed names; "
                + "the answer is the product (201) with the new image last in `images`, whose `sources` list every file and whose `url` is the JPEG at a middle width. "
                + "Requires If-Match with the product's ETag (412 when stale, 428 when missing). Accepts Idempotency-Key: the same key with the same image replays the answer. Nothing is stored when the upload is refused.";
        });
    }

    public sealed class Request
    {
        [RouteParam]
        public Guid Id { get; set; }

        /// <summary>The product's ETag from GET, e.g. "v3".</summary>
        [FromHeader("If-Match", IsRequired = false)]
        public string? IfMatch { get; set; }

        /// <summary>Alt text, when the body is the image itself.</summary>
        [QueryParam]
        public string? Alt { get; set; }
    }

    public override async Task<Results<Created<ProductDetail>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (id, http) = (req.Id, HttpContext);
        var (key, keyProblem) = Platform.Http.Idempotency.Read(http);
        if (keyProblem is not null)
        {
            return keyProblem;
        }
        var (upload, uploadProblem) = await ImageUpload.ReadAsync(http, req.Alt, pipeline.Options.MaxBytes, ct);
        if (upload is null)
        {
            return uploadProblem!;
        }
        if (upload.Alt.Length > ProductImageWrites.MaxAltLength)
        {
            return Validation("alt", $"Keep alt text to {ProductImageWrites.MaxAltLength} characters.");
        }
        var (inspected, refusal) = pipeline.Inspect(upload.Content, upload.DeclaredKind);
        if (inspected is null)
        {
            return refusal!.ToProblem();
        }
        var scope = "product-images:" + id;
        var fingerprint = SHA256.HashData(Encoding.UTF8.GetBytes($"UploadProductImage\n{id}\n{inspected.Hash}\n{upload.Alt}"));
        if (key is not null)
        {
            // A retry of an upload that succeeded replays its answer, although the product's version moved on since.
            await using var conn = await db.OpenConnectionAsync(ct);
            if (await idempotency.FindAsync(conn, null, scope, key, ApiJsonContext.Default.ProductDetail) is { } replay)
            {
                if (!replay.Matches(fingerprint))
                {
                    return Platform.Http.Idempotency.Mismatch();
                }
                Platform.Http.Idempotency.MarkReplayed(http);
                Versions.SetETag(http, replay.Body.Version);
                return TypedResults.Created(replay.Location, replay.Body);
            }
        }
        if (await ProductImageWrites.CheckVersionAsync(db, id, req.IfMatch, ct) is { } versionProblem)
        {
            return versionProblem;
        }

        var (stored, renderRefusal) = await pipeline.StoreAsync(upload.Content, inspected, ct);
        if (stored is null)
        {
            return renderRefusal!.ToProblem();
        }
        var result = await AppendAsync(id, req.IfMatch, upload.Alt, stored, key, scope, fingerprint, ct);
        if (result.Result is ProblemHttpResult && stored.Written.Count > 0)
        {
            // Refused after rendering (a concurrent edit, a replayed key): leave nothing behind that no product shows.
            await ProductImageWrites.DeleteUnusedAsync(db, pipeline.Store, [ProductImageWrites.FromStored(stored, "", pipeline.Store)], log, CancellationToken.None);
        }
        return result;
    }

    private async Task<Results<Created<ProductDetail>, ProblemHttpResult>> AppendAsync(
        Guid id, string? ifMatch, string alt, StoredImage stored, string? key, string scope, byte[] fingerprint, CancellationToken ct)
    {
        var http = HttpContext;
        var location = $"/api/v1/admin/products/{id}";
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (key is not null)
        {
            if (!await Platform.Http.Idempotency.TryLockAsync(conn, tx, scope, key))
            {
                return Platform.Http.Idempotency.InFlight();
            }
            if (await idempotency.FindAsync(conn, tx, scope, key, ApiJsonContext.Default.ProductDetail) is { } replay)
            {
                if (!replay.Matches(fingerprint))
                {
                    return Platform.Http.Idempotency.Mismatch();
                }
                Platform.Http.Idempotency.MarkReplayed(http);
                Versions.SetETag(http, replay.Body.Version);
                return TypedResults.Created(replay.Location, replay.Body);
            }
        }
        var log = new WriteLog(conn, tx, Actor.From(http));
        var current = await ProductWrites.LockAsync(log, id);
        if (current is null)
        {
            return NotFound($"No product has the id {id}.");
        }
        if (Versions.ParseIfMatch(ifMatch).Version != current.Version)
        {
            return ProductImageWrites.Stale(current.Version);
        }
        var images = await ProductImageWrites.ReadAsync(log, id);
        if (images.Count >= ProductImageWrites.MaxImages)
        {
            return Make(StatusCodes.Status422UnprocessableEntity, "too-many-images", "The product has all the images it can have",
                $"A product has at most {ProductImageWrites.MaxImages} images. Delete one before adding another.");
        }
        var before = (await ProductWrites.LoadAsync(log, id))!;
        images.Add(ProductImageWrites.FromStored(stored, alt, pipeline.Store));
        var after = await ProductImageWrites.WriteAsync(log, id, images, "product.image_added", before);
        if (key is not null)
        {
            await idempotency.StoreAsync(conn, tx, scope, key, fingerprint, StatusCodes.Status201Created, location, after, ApiJsonContext.Default.ProductDetail);
        }
        await tx.CommitAsync(ct);
        cache.InvalidateProduct(id);
        Versions.SetETag(http, after.Version);
        return TypedResults.Created(location, after);
    }
}
