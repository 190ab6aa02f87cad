namespace Headless.Storefront.Publishing;

/// <summary>Where pages go: a local folder (default) or S3 behind CloudFront.</summary>
public interface ISitePublisher
{
    string Describe { get; }

    /// <summary>Writes files (thread-safe; called with batches of a few hundred).</summary>
    Task PutAsync(IReadOnlyList<(string Path, byte[] Content)> files, CancellationToken ct);

    Task DeleteAsync(IReadOnlyList<string> paths, CancellationToken ct);

    /// <summary>After a build: the paths whose content changed or went away (for a CDN to forget).</summary>
    Task CompleteAsync(IReadOnlyList<string> changedPaths, CancellationToken ct);
}

/// <summary>Content types and cache policy of published files.</summary>
public static class ContentTypes
{
    private static readonly Dictionary<string, string> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".xml"] = "application/xml; charset=utf-8",
        [".txt"] = "text/plain; charset=utf-8",
        [".json"] = "application/json",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
        [".jpg"] = "image/jpeg",
        [".webp"] = "image/webp",
        [".ico"] = "image/x-icon",
        [".woff2"] = "font/woff2",
        [".map"] = "application/json",
    };

    public static string Of(string path) => ByExtension.GetValueOrDefault(Path.GetExtension(path), "application/octet-stream");

    /// <summary>Fingerprinted assets never change under their name; everything else is revalidated soon.</summary>
    public static string CacheControl(string path) => path.StartsWith("assets/", StringComparison.Ordinal)
        ? "public, max-age=31536000, immutable"
        : "public, max-age=60, stale-while-revalidate=600";
}
