namespace Headless.Api.Features.Catalog.Images;

/// <summary>`Headless:Images`: what an upload may be and what it is turned into.</summary>
public sealed class ImageOptions
{
    public const string Section = "Headless:Images";

    /// <summary>The largest upload accepted, in bytes (default 20 MB).</summary>
    public long MaxBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>The most pixels (width × height) an upload may declare, checked from its header before any
    /// decoding: a few KB of PNG can declare 400 megapixels (default 50 MP).</summary>
    public long MaxPixels { get; set; } = 50_000_000;

    /// <summary>The widths made of each image, never above the original's (then the original's width is the widest).</summary>
    public int[] Widths { get; set; } = [320, 640, 960, 1280, 1920];

    public int AvifQuality { get; set; } = 50;

    public int WebpQuality { get; set; } = 75;

    public int JpegQuality { get; set; } = 80;

    /// <summary>libaom's effort, 0 (fastest) to 9: AVIF is by far the slowest format to encode.</summary>
    public int AvifEffort { get; set; }
}
