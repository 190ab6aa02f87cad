using System.Security.Cryptography;
using Headless.Api.Platform.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using NetVips;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Images;

/// <summary>Why an upload was refused; nothing was stored.</summary>
public sealed record ImageRefusal(int Status, string Type, string Title, string Detail)
{
    public ProblemHttpResult ToProblem() => Make(Status, Type, Title, Detail);
}

/// <summary>An upload whose header was read and checked: its kind, upright size and content hash.</summary>
public sealed record InspectedImage(ImageKind Kind, int Width, int Height, string Hash);

/// <summary>One file made of an image; <see cref="Key"/> is its name in the object store.</summary>
public sealed record Rendition(string Key, string Format, int Width, int Height, string ContentType);

/// <summary>The files of an image, in the object store.</summary>
public sealed record StoredImage(InspectedImage Source, IReadOnlyList<Rendition> Renditions, IReadOnlyList<string> Written);

/// <summary>
/// Uploads in, responsive files out, with libvips (NetVips over Debian's libvips42):
///  1. Inspect: sniff the kind from the magic bytes and read only the header with that kind's loader, so a
///     decompression bomb (a few KB declaring 20,000 × 20,000 pixels) is refused before a pixel is decoded.
///  2. Render: decode once into memory, a JPEG already shrunk by its decoder to the widest file's size (an
///     image opened from a buffer reads sequentially, and it is read once per width), turn it upright by its
///     EXIF orientation, convert it to sRGB, resize it once per width, then write each width in AVIF, WebP and a
///     JPEG fallback, the slowest files first, on every core. Savers keep no metadata, so GPS positions and
///     camera serials never leave.
///  3. Store under content-hashed names (<c>images/products/&lt;hash&gt;-&lt;width&gt;.&lt;ext&gt;</c>): an image
///     already in the store is not rendered again (the demo catalog's restart, a re-upload).
/// Rendering runs on its own threads, at most one image per core at once, so a burst of uploads queues here
/// instead of starving the request thread pool.
/// </summary>
public sealed class ImagePipeline(IOptions<ImageOptions> options, IObjectStore store, ILogger<ImagePipeline> log)
{
    /// <summary>Changing how images are rendered changes this, so new renderings get new names.</summary>
    private const string RenderVersion = "headless-image-v2";

    private static readonly SemaphoreSlim Gate = new(Math.Max(1, Environment.ProcessorCount));

    public ImageOptions Options => options.Value;

    public IObjectStore Store => store;

    public (InspectedImage? Image, ImageRefusal? Refusal) Inspect(byte[] content, ImageKind? declared)
    {
        if (content.Length == 0)
        {
            return Refuse(400, "image-missing", "No image sent", "The body is empty. Send a JPEG, PNG or WebP image.");
        }
        if (content.Length > Options.MaxBytes)
        {
            return Refuse(413, "image-too-large", "Image too large", $"Images are limited to {Options.MaxBytes / (1024 * 1024.0):0.#} MB. Send a smaller file.");
        }
        if (ImageSniffer.Sniff(content) is not { } kind)
        {
            return Refuse(415, "unsupported-image-type", "Not a JPEG, PNG or WebP image",
                "The file's content is not a JPEG, PNG or WebP image (whatever its name or type says). Export it as one of those and upload it again.");
        }
        if (declared is { } said && said != kind)
        {
            return Refuse(415, "image-type-mismatch", "The image is not the type it claims",
                $"It was sent as {ImageSniffer.MediaType(said)} but its content is {ImageSniffer.MediaType(kind)}. Send it with Content-Type {ImageSniffer.MediaType(kind)}.");
        }
        try
        {
            using var header = Open(content, kind);
            if (header.Contains("n-pages") && header.Get("n-pages") is int pages && pages > 1)
            {
                return Refuse(422, "animated-image", "Animated images are not supported", "Upload a still image: save one frame as JPEG, PNG or WebP.");
            }
            if ((long)header.Width * header.Height > Options.MaxPixels)
            {
                return Refuse(422, "image-too-many-pixels", "Image has too many pixels",
                    $"The image declares {header.Width} × {header.Height} pixels; the limit is {Options.MaxPixels / 1_000_000.0:0.#} megapixels. Scale it down and upload it again.");
            }
            var upright = Orientation(header) is >= 5 and <= 8;
            return (new InspectedImage(kind, upright ? header.Height : header.Width, upright ? header.Width : header.Height, Hash(content)), null);
        }
        catch (VipsException)
        {
            return (null, CorruptImage);
        }
    }

    /// <summary>The files an image becomes: each width up to its own (or its own width alone when it is narrower
    /// than every configured width), each in AVIF, WebP and JPEG.</summary>
    public IReadOnlyList<Rendition> Plan(InspectedImage image)
    {
        var widths = Options.Widths.Where(w => w > 0 && w <= image.Width).Distinct().Order().ToList();
        if (widths.Count == 0)
        {
            widths.Add(image.Width);
        }
        var renditions = new List<Rendition>(widths.Count * 3);
        foreach (var (format, ext, type) in new[] { ("avif", "avif", "image/avif"), ("webp", "webp", "image/webp"), ("jpeg", "jpg", "image/jpeg") })
        {
            foreach (var w in widths)
            {
                var h = Math.Max(1, (int)Math.Round(image.Height * (double)w / image.Width));
                renditions.Add(new Rendition($"images/products/{image.Hash}-{w}.{ext}", format, w, h, type));
            }
        }
        return renditions;
    }

    /// <summary>Renders what the store does not have yet and puts it there.</summary>
    public async Task<(StoredImage? Image, ImageRefusal? Refusal)> StoreAsync(byte[] content, InspectedImage image, CancellationToken ct)
    {
        var plan = Plan(image);
        var missing = new List<Rendition>();
        foreach (var r in plan)
        {
            if (!await store.ExistsAsync(r.Key, ct))
            {
                missing.Add(r);
            }
        }
        if (missing.Count == 0)
        {
            return (new StoredImage(image, plan, []), null);
        }
        await Gate.WaitAsync(ct);
        List<(Rendition Rendition, byte[] Bytes)> files;
        try
        {
            files = await Task.Factory.StartNew(() => Render(content, image, missing), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch (VipsException e)
        {
            // libvips' message names the decoder's complaint, never anything of the caller's: safe to log.
            log.LogInformation("Image {Hash} refused: libvips could not decode it ({Reason})", image.Hash, e.Message.Split('\n')[0]);
            return (null, CorruptImage);
        }
        finally
        {
            Gate.Release();
        }
        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
            async (f, token) => await store.PutAsync(f.Rendition.Key, f.Bytes, f.Rendition.ContentType, token));
        return (new StoredImage(image, plan, files.Select(f => f.Rendition.Key).ToList()), null);
    }

    /// <summary>Decodes once, already shrunk, then makes every rendition. Throws <see cref="VipsException"/> on a corrupt or truncated file.</summary>
    public List<(Rendition Rendition, byte[] Bytes)> Render(byte[] content, InspectedImage image, IReadOnlyList<Rendition> renditions)
    {
        // Shrink on load: a JPEG decodes at 1/2, 1/4 or 1/8 of its size for a fraction of the work, so a 12 MP
        // photo whose widest file is 1920 px is decoded at 2000 px: a quarter of the pixels to decode, turn,
        // convert and hold, and every width is then resized from that one image.
        using var loaded = Open(content, image.Kind, ShrinkOnLoad(image, renditions));
        using var upright = loaded.Autorot();
        using var srgb = ToSrgb(upright);
        using var decoded = WithoutMetadata(srgb.CopyMemory());
        var opaque = !decoded.HasAlpha();
        using var flat = opaque ? decoded.Copy() : decoded.Flatten(background: [255, 255, 255]).Cast(Enums.BandFormat.Uchar).CopyMemory();

        var sizes = renditions.Select(r => (r.Width, r.Height)).Distinct().ToDictionary(s => s, s => (Sized: Resize(decoded, s.Width, s.Height), Flat: opaque ? null : Resize(flat, s.Width, s.Height)));
        try
        {
            // The slowest files first (AVIF, then the widest), spread over the cores: the upload waits for the
            // last file, so the longest must not start last.
            var results = new (Rendition, byte[])[renditions.Count];
            var order = renditions.Select((r, i) => (r, i)).OrderBy(x => x.r.Format == "avif" ? 0 : 1).ThenByDescending(x => x.r.Width).ToList();
            Parallel.ForEach(order, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount) }, job =>
            {
                var (r, i) = job;
                var (sized, sizedFlat) = sizes[(r.Width, r.Height)];
                results[i] = (r, r.Format switch
                {
                    "avif" => sized.HeifsaveBuffer(q: Options.AvifQuality, bitdepth: 8, compression: Enums.ForeignHeifCompression.Av1, effort: Options.AvifEffort, keep: Enums.ForeignKeep.None),
                    "webp" => sized.WebpsaveBuffer(q: Options.WebpQuality, effort: 4, keep: Enums.ForeignKeep.None),
                    _ => (sizedFlat ?? sized).JpegsaveBuffer(q: Options.JpegQuality, optimizeCoding: true, interlace: true, keep: Enums.ForeignKeep.None),
                });
            });
            return [.. results];
        }
        finally
        {
            foreach (var (sized, sizedFlat) in sizes.Values)
            {
                sized.Dispose();
                sizedFlat?.Dispose();
            }
        }
    }

    /// <summary>The JPEG decoder's scale (1, 2, 4 or 8) that still leaves at least the largest file's pixels.</summary>
    private static int ShrinkOnLoad(InspectedImage image, IReadOnlyList<Rendition> renditions)
    {
        if (image.Kind != ImageKind.Jpeg || renditions.Count == 0)
        {
            return 1;
        }
        var (width, height) = (renditions.Max(r => r.Width), renditions.Max(r => r.Height));
        foreach (var shrink in new[] { 8, 4, 2 })
        {
            if (image.Width / shrink >= width && image.Height / shrink >= height)
            {
                return shrink;
            }
        }
        return 1;
    }

    /// <summary>Drops EXIF (GPS, camera serials, orientation already applied), XMP, IPTC and the ICC profile (the
    /// pixels are sRGB now, which browsers assume) from the image itself: libvips 8.14's savers have no `keep`
    /// option, and without this WebP would carry the EXIF along.</summary>
    private static Image WithoutMetadata(Image image)
    {
        using (image)
        {
            return image.Mutate(m =>
            {
                foreach (var field in m.GetFields())
                {
                    if (field.StartsWith("exif-", StringComparison.Ordinal) || field is "xmp-data" or "iptc-data" or "icc-profile-data" or "orientation")
                    {
                        m.Remove(field);
                    }
                }
            });
        }
    }

    private static Image Resize(Image source, int width, int height) =>
        width == source.Width && height == source.Height
            ? source.Copy()
            : source.Resize(width / (double)source.Width, vscale: height / (double)source.Height, kernel: Enums.Kernel.Lanczos3).CopyMemory();

    /// <summary>sRGB, 8 bits a channel: an embedded profile (Adobe RGB, a printer's CMYK) is honoured, CMYK without
    /// one goes through libvips' built-in CMYK profile, greyscale becomes RGB.</summary>
    private static Image ToSrgb(Image image)
    {
        var converted = image.Contains("icc-profile-data")
            ? image.IccTransform("srgb", embedded: true, intent: Enums.Intent.Perceptual)
            : image.Colourspace(Enums.Interpretation.Srgb);
        return converted.Format == Enums.BandFormat.Uchar ? converted : converted.Cast(Enums.BandFormat.Uchar);
    }

    /// <summary>Opens with the sniffed kind's own loader (never another's), reading the header only. Truncated
    /// files fail instead of decoding as grey.</summary>
    private static Image Open(byte[] content, ImageKind kind, int shrink = 1) => kind switch
    {
        ImageKind.Jpeg => Image.JpegloadBuffer(content, shrink: shrink, access: Enums.Access.Random, failOn: Enums.FailOn.Truncated),
        ImageKind.Png => Image.PngloadBuffer(content, access: Enums.Access.Random, failOn: Enums.FailOn.Truncated),
        _ => Image.WebploadBuffer(content, access: Enums.Access.Random, failOn: Enums.FailOn.Truncated),
    };

    private static int Orientation(Image image) => image.Contains("orientation") && image.Get("orientation") is int o ? o : 1;

    private static string Hash(byte[] content)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(System.Text.Encoding.ASCII.GetBytes(RenderVersion + "\n"));
        sha.AppendData(content);
        return Convert.ToHexStringLower(sha.GetHashAndReset())[..24];
    }

    private static (InspectedImage?, ImageRefusal?) Refuse(int status, string type, string title, string detail) =>
        (null, new ImageRefusal(status, type, title, detail));

    private static readonly ImageRefusal CorruptImage = new(422, "corrupt-image", "The image cannot be read",
        "The file is damaged or cut short (an interrupted download or copy?). Open it in an image editor, save it again and upload that.");
}
