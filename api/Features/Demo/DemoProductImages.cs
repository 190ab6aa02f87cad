using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Headless.Api.Features.Catalog;
using Headless.Api.Features.Catalog.Images;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Catalog;
using Microsoft.Extensions.Options;
using NetVips;
using Npgsql;

namespace Headless.Api.Features.Demo;

/// <summary>
/// Gives each demo product a real image, after start and in the background so the API answers at once:
/// a product tile drawn with libvips (a two-colour field, a few shapes and the product's initials, varied
/// by its slug), put through the upload pipeline, replacing the demo's placeholder image (whose file does
/// not exist). Each product changed is a <c>product.updated</c> event, so caches and the storefront follow
/// as images arrive. Restarts are cheap twice over: products already done are skipped (their first image
/// is no longer the placeholder), and a tile drawn again hashes to the same name, whose files the object
/// store (under .data/ by default) already has, so nothing is encoded again. Off in tests
/// (<c>Headless:Catalog:DemoImages</c>) unless a test asks for it.
/// </summary>
public sealed class DemoProductImages(
    NpgsqlDataSource db, ImagePipeline pipeline, CatalogCache cache, IOptions<CatalogOptions> catalog,
    IHostApplicationLifetime lifetime, ILogger<DemoProductImages> log) : BackgroundService
{
    public const int TileSize = 960;

    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed record Pending(Guid Id, string Slug, string Title, string Images);

    /// <summary>Done (or off): every demo product that still had the placeholder has its image.</summary>
    public Task Completed => _completed.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await DrawAfterStartAsync(stoppingToken);
        }
        finally
        {
            _completed.TrySetResult();
        }
    }

    private async Task DrawAfterStartAsync(CancellationToken stoppingToken)
    {
        if (!catalog.Value.LoadDemoCatalog || !catalog.Value.DemoImages)
        {
            return;
        }
        // After start (migrations and the demo load ran in StartupTasks), so the first request is not kept waiting.
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }
        try
        {
            await RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the rest is done at the next start.
        }
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        List<Pending> pending;
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            // The demo's placeholder: an image given by path only, /images/products/<slug>-1.jpg, with no file behind it.
            pending = (await conn.QueryAsync<Pending>("""
                select id, slug, title, images::text as images from products
                where images->0->>'url' = '/images/products/' || slug || '-1.jpg' and images->0->>'id' is null
                order by created_at desc, id
                """)).ToList();
        }
        if (pending.Count == 0)
        {
            return;
        }
        log.LogInformation("Demo images: drawing {Count} product images in the background", pending.Count);
        var (done, encoded) = (0, 0);
        foreach (var product in pending)
        {
            ct.ThrowIfCancellationRequested();
            var tile = Tile(product.Slug, product.Title);
            var (inspected, refusal) = pipeline.Inspect(tile, ImageKind.Jpeg);
            if (inspected is null)
            {
                log.LogWarning("Demo image for {Slug} refused: {Reason}", product.Slug, refusal!.Detail);
                continue;
            }
            var (stored, _) = await pipeline.StoreAsync(tile, inspected, ct);
            if (stored is null)
            {
                continue;
            }
            encoded += stored.Written.Count > 0 ? 1 : 0;
            var image = ProductImageWrites.FromStored(stored, product.Title, pipeline.Store);
            if (await ReplaceAsync(product, image, ct))
            {
                done++;
            }
        }
        log.LogInformation("Demo images: {Done} products got an image ({Encoded} encoded, the rest already in the object store) in {Ms} ms",
            done, encoded, (int)clock.ElapsedMilliseconds);
    }

    /// <summary>Swaps the placeholder for the image, unless someone changed the product's images meanwhile.</summary>
    private async Task<bool> ReplaceAsync(Pending product, ProductImage image, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var images = JsonSerializer.Serialize(new List<ProductImage> { image }, ApiJsonContext.Default.ListProductImage);
        var changed = await conn.ExecuteAsync("""
            update products set images = @images::jsonb, version = version + 1, updated_at = now()
            where id = @id and images = @before::jsonb
            """, new { product.Id, images, before = product.Images }, tx);
        if (changed == 0)
        {
            return false;
        }
        var write = new WriteLog(conn, tx, Actor.System("demo-images"));
        await write.EventAsync("product.updated", "product", product.Id.ToString(), new JsonObject { ["slug"] = product.Slug, ["change"] = "product.demo_image" });
        await tx.CommitAsync(ct);
        cache.InvalidateProduct(product.Id);
        return true;
    }

    /// <summary>A product tile: a diagonal two-colour field in the product's own hue, three soft discs and its
    /// initials, all chosen from its slug, so every product looks different and the same product always the same.</summary>
    public static byte[] Tile(string slug, string title, int size = TileSize)
    {
        var seed = StableHash(slug);
        var random = new Random((int)seed);
        var hue = seed % 360;
        var (from, to) = (Rgb(hue, 0.45, 0.62), Rgb((hue + 35 + (uint)random.Next(60)) % 360, 0.5, 0.42));
        using var xyz = Image.Xyz(size, size);
        using var x = xyz[0];
        using var y = xyz[1];
        using var t = (x + y) / (2.0 * size);
        var canvas = Mix(from, to, t);
        for (var i = 0; i < 3; i++)
        {
            var (cx, cy, r) = (random.Next(size), random.Next(size), size * (0.12 + (random.NextDouble() * 0.22)));
            using var dx = x - cx;
            using var dy = y - cy;
            using var disc = ((dx * dx) + (dy * dy)) < (r * r);
            var next = disc.Ifthenelse(Rgb((hue + 180 + ((uint)i * 40)) % 360, 0.35, 0.55 + (i * 0.08)), canvas);
            canvas.Dispose();
            canvas = next;
        }
        using (canvas)
        {
            var initials = string.Concat(title.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(2).Select(w => char.ToUpperInvariant(w[0])));
            using var tile = WithText(canvas, initials, size);
            using var rgb = tile.Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
            return rgb.JpegsaveBuffer(q: 88);
        }
    }

    /// <summary>The initials in near-white over the middle; the tile alone when the system has no fonts for libvips' text.</summary>
    private static Image WithText(Image canvas, string initials, int size)
    {
        try
        {
            using var text = Image.Text(initials, font: "sans bold", width: size / 2, height: size / 3);
            using var glyphs = text.Embed((size - text.Width) / 2, (size - text.Height) / 2, size, size);
            using var alpha = glyphs / 255.0 * 0.85;
            using var under = canvas * (1 - alpha);
            return under + (alpha * 250);
        }
        catch (VipsException)
        {
            return canvas.Copy();
        }
    }

    private static Image Mix(double[] from, double[] to, Image t)
    {
        using var r = (t * (to[0] - from[0])) + from[0];
        using var g = (t * (to[1] - from[1])) + from[1];
        using var b = (t * (to[2] - from[2])) + from[2];
        return r.Bandjoin(g, b);
    }

    /// <summary>HSL to RGB, 0-255.</summary>
    private static double[] Rgb(uint hue, double saturation, double lightness)
    {
        var c = (1 - Math.Abs((2 * lightness) - 1)) * saturation;
        var h = hue / 60.0;
        var x = c * (1 - Math.Abs((h % 2) - 1));
        var (r, g, b) = h switch
        {
            < 1 => (c, x, 0.0),
            < 2 => (x, c, 0.0),
            < 3 => (0.0, c, x),
            < 4 => (0.0, x, c),
            < 5 => (x, 0.0, c),
            _ => (c, 0.0, x),
        };
        var m = lightness - (c / 2);
        return [(r + m) * 255, (g + m) * 255, (b + m) * 255];
    }

    // FNV-1a: the same tile for a product in every process (string.GetHashCode differs per process).
    private static uint StableHash(string s)
    {
        var hash = 2166136261u;
        foreach (var ch in s)
        {
            hash = (hash ^ ch) * 16777619u;
        }
        return hash;
    }
}
