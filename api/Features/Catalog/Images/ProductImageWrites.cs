using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Headless.Api.Features.Catalog.Admin;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Storage;
using Headless.Contracts.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Images;

/// <summary>The steps the image routes share: the version check, the product's image list (jsonb on
/// <c>products</c>), the outbox event and audit row, and removing files no product shows any more.</summary>
public static class ProductImageWrites
{
    public const int MaxImages = 20;
    public const int MaxAltLength = 300;

    /// <summary>The version check before any work: 428 without If-Match, 404, 412 on a stale ETag.</summary>
    public static async Task<ProblemHttpResult?> CheckVersionAsync(NpgsqlDataSource db, Guid id, string? ifMatch, CancellationToken ct)
    {
        var expected = Versions.ParseIfMatch(ifMatch);
        if (expected.IsMissing)
        {
            return PreconditionRequired();
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        var version = await conn.ExecuteScalarAsync<int?>("select version from products where id = @id", new { id });
        return version switch
        {
            null => NotFound($"No product has the id {id}."),
            var v when v != expected.Version => Stale(v.Value),
            _ => null,
        };
    }

    public static ProblemHttpResult Stale(int version) =>
        PreconditionFailed($"The product is at version {version} ({Versions.ETag(version)}). Reload it, compare its images with yours, and send your change again with the new ETag.");

    public static async Task<List<ProductImage>> ReadAsync(WriteLog log, Guid id) =>
        JsonSerializer.Deserialize(
            await log.Connection.ExecuteScalarAsync<string>("select images::text from products where id = @id", new { id }, log.Transaction) ?? "[]",
            ApiJsonContext.Default.ListProductImage) ?? [];

    /// <summary>Writes the list, bumps the version, and records the change: a <c>product.updated</c> event (so caches,
    /// search and the storefront follow) and an audit row named after what happened.</summary>
    public static async Task<ProductDetail> WriteAsync(WriteLog log, Guid id, List<ProductImage> images, string auditAction, ProductDetail before)
    {
        await log.Connection.ExecuteAsync("""
            update products set images = @images::jsonb, version = version + 1, updated_at = now() where id = @id
            """, new { id, images = JsonSerializer.Serialize(images, ApiJsonContext.Default.ListProductImage) }, log.Transaction);
        var after = (await ProductWrites.LoadAsync(log, id))!;
        await log.EventAsync("product.updated", "product", id.ToString(), new JsonObject { ["slug"] = after.Slug, ["change"] = auditAction });
        await log.AuditAsync(auditAction, "product", id.ToString(), ProductWrites.Json(before), ProductWrites.Json(after));
        return after;
    }

    /// <summary>The product image an upload became: its JPEG at a middle width is <c>url</c>, every file a source.</summary>
    public static ProductImage FromStored(StoredImage stored, string alt, IObjectStore store)
    {
        var jpegs = stored.Renditions.Where(r => r.Format == "jpeg").ToList();
        var fallback = jpegs[jpegs.Count / 2];
        return new ProductImage(store.PublicUrl(fallback.Key), alt, fallback.Width, fallback.Height)
        {
            Id = Guid.CreateVersion7(),
            Sources = stored.Renditions.Select(r => new ImageSource(r.Format, r.Width, r.Height, store.PublicUrl(r.Key))).ToList(),
        };
    }

    /// <summary>The object keys of an uploaded image's files (their URLs end with the key's file name).</summary>
    public static List<string> Keys(ProductImage image) =>
        (image.Sources ?? []).Select(s => "images/products/" + s.Url[(s.Url.LastIndexOf('/') + 1)..]).ToList();

    /// <summary>After a commit: removes the files of images no product shows any more (the same upload may be on
    /// two products: then the files stay). Content-hashed names make a later re-upload write them again.</summary>
    public static async Task DeleteUnusedAsync(NpgsqlDataSource db, IObjectStore store, IEnumerable<ProductImage> removed, ILogger log, CancellationToken ct)
    {
        foreach (var image in removed.Where(i => i.Sources is { Count: > 0 }))
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            var probe = new JsonArray(new JsonObject { ["url"] = image.Url }).ToJsonString();
            if (await conn.ExecuteScalarAsync<bool>("select exists (select 1 from products where images @> @probe::jsonb)", new { probe }))
            {
                continue;
            }
            try
            {
                await store.DeleteAsync(Keys(image), ct);
            }
            catch (Exception e) when (e is IOException or Amazon.Runtime.AmazonServiceException)
            {
                // The product no longer shows them; a file left behind costs storage, not correctness.
                log.LogWarning("Could not delete the files of image {ImageId} ({Error})", image.Id, e.GetType().Name);
            }
        }
    }

    public static void Invalidate(CatalogCache cache, Guid id) => cache.InvalidateProduct(id);
}
