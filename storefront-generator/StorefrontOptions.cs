namespace Headless.Storefront;

/// <summary>Where the generator reads its theme and widgets, where it keeps its manifest, and what it publishes.</summary>
public sealed class StorefrontOptions
{
    /// <summary>The shop's public address, used for canonical links, the sitemap, robots.txt and the feed.</summary>
    public string BaseUrl { get; set; } = "http://127.0.0.1:5080";

    public string ShopName { get; set; } = "Headless Shop";

    /// <summary>The API takes test payments only (its built-in test provider): every page says TEST MODE.</summary>
    public bool TestMode { get; set; }

    /// <summary>The theme folder: layouts/, partials/, pages/ (Liquid-style Scriban templates) and assets/.</summary>
    public string ThemeDirectory { get; set; } = Path.Combine(RepoRoot.Path, "storefront-generator", "theme");

    /// <summary>The widgets' TypeScript sources (bundled with esbuild into <see cref="WidgetsOutputDirectory"/>).</summary>
    public string WidgetsSourceDirectory { get; set; } = Path.Combine(RepoRoot.Path, "storefront-generator", "widgets");

    public string WidgetsOutputDirectory { get; set; } = Path.Combine(RepoRoot.Path, ".data", "storefront", "widgets");

    /// <summary>The manifest: every output file's content hash and what it depends on, and the change-feed cursor.</summary>
    public string ManifestPath { get; set; } = Path.Combine(RepoRoot.Path, ".data", "storefront", "manifest.json");

    /// <summary>Products per category listing page.</summary>
    public int PageSize { get; set; } = 24;

    /// <summary>Products per export request (the API allows up to 500).</summary>
    public int FetchPageSize { get; set; } = 500;

    /// <summary>How often `watch` polls the change feed.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Pages rendered at once; defaults to the number of cores.</summary>
    public int Parallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>URLs per sitemap file (the protocol allows 50,000).</summary>
    public int SitemapChunk { get; set; } = 10_000;
}

/// <summary>The checkout root (the folder holding Headless.sln), so defaults land in the repository's .data/.</summary>
public static class RepoRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "Headless.sln")))
                {
                    return dir.FullName;
                }
            }
        }
        return Directory.GetCurrentDirectory();
    }
}
