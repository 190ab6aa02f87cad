using Headless.Storefront.Rendering;

namespace Headless.Tests.Storefront;

/// <summary>After a full build, one admin change through the API rewrites exactly the files it touches.</summary>
public sealed class IncrementalRebuildTests : IAsyncLifetime
{
    private readonly ShopFactory _shop = new();

    public Task InitializeAsync() => _shop.InitializeAsync();

    public Task DisposeAsync() => _shop.DisposeAsync();

    [Fact]
    public async Task Renaming_a_product_rewrites_its_page_the_listing_pages_holding_it_then_the_sitemap_and_the_feed_only()
    {
        var generator = _shop.Generator();
        var full = await generator.BuildAsync();
        var behind = new List<Headless.Storefront.Build.BuildReport>();
        generator.CatalogFilesReport = behind.Add;
        Assert.Empty((await _shop.Generator().BuildAsync()).Written);

        // A product the home page does not show: not featured, not among the newest.
        var listed = await _shop.ListAsync();
        Headless.Contracts.Catalog.ProductDetail? product = null;
        foreach (var candidate in listed.Skip(SiteRenderer.HomeProducts + 5))
        {
            product = await _shop.ProductAsync(candidate.Slug);
            if (!product.Featured)
            {
                break;
            }
        }
        Assert.NotNull(product);
        var before = File.ReadAllText(Path.Combine(_shop.SiteDirectory, "index.html"));

        await _shop.RenameAsync(product, "Renamed Linen Apron");
        var report = await ShopFactory.NextRebuildAsync(generator, TimeSpan.FromSeconds(10));

        var expected = new HashSet<string>(await _shop.ListingPagesHoldingAsync(product))
        {
            SitePaths.Product(product.Slug),
        };
        Assert.Equal(expected.Order(StringComparer.Ordinal), report.Written.Order(StringComparer.Ordinal));
        Assert.Empty(report.Deleted);
        // The sitemap and the feed follow behind the pages.
        await generator.CatalogFilesWrittenAsync().WaitAsync(TimeSpan.FromSeconds(20));
        var catalogFiles = Assert.Single(behind);
        Assert.Equal(new[] { "feed.xml", "sitemap-1.xml" }, catalogFiles.Written);
        Assert.Contains("Renamed Linen Apron", _shop.File("feed.xml"), StringComparison.Ordinal);
        // Only the renamed product's feed items were rendered again; every other product's were reused.
        Assert.Equal(1, catalogFiles.FeedProductsRendered);
        Assert.Contains("Renamed Linen Apron", _shop.File(SitePaths.Product(product.Slug)), StringComparison.Ordinal);
        Assert.All(expected.Where(p => p.StartsWith("categories/", StringComparison.Ordinal)),
            p => Assert.Contains("Renamed Linen Apron", _shop.File(p), StringComparison.Ordinal));
        Assert.Equal(before, File.ReadAllText(Path.Combine(_shop.SiteDirectory, "index.html")));
        Assert.True(report.Rendered + catalogFiles.Rendered < full.Rendered / 4, report.ToString());

        // The manifest now says what is on disk: a full build finds nothing to write.
        Assert.Empty((await _shop.Generator().BuildAsync()).Written);
    }

    [Fact]
    public async Task Archiving_a_product_removes_its_page_and_every_link_to_it()
    {
        var log = new StringWriter();
        var generator = _shop.Generator(log: TextWriter.Synchronized(log));
        var behind = new List<string>();
        generator.CatalogFilesReport = r => behind.Add(r + " " + string.Join(",", r.Written));
        await generator.BuildAsync();
        var listed = await _shop.ListAsync();
        var victim = await _shop.ProductAsync(listed[30].Slug);
        var path = SitePaths.Product(victim.Slug);
        Assert.True(_shop.Exists(path));

        await _shop.ArchiveAsync(victim.Id);
        var report = await ShopFactory.NextRebuildAsync(generator, TimeSpan.FromSeconds(10));

        // The page, and a listing's last page when the product leaving emptied it.
        Assert.Contains(path, report.Deleted);
        Assert.All(report.Deleted.Where(d => d != path), d => Assert.Matches("^categories/[^/]+/page/[0-9]+/index.html$", d));
        Assert.All(report.Deleted, d => Assert.False(_shop.Exists(d), d));
        Assert.False(Directory.Exists(Path.Combine(_shop.SiteDirectory, "products", victim.Slug)));
        Assert.DoesNotContain(path, generator.Manifest.Files.Keys);
        await ShopFactory.CaughtUpAsync(generator);
        foreach (var file in Directory.GetFiles(_shop.SiteDirectory, "*.*ml", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(file);
            Assert.False(text.Contains($"/products/{victim.Slug}/", StringComparison.Ordinal), $"{file}; the generator's log and its sitemap/feed rewrites: {log} {string.Join("\n", behind)} {report}");
            Assert.All(report.Deleted, d => Assert.DoesNotContain($"href=\"{SitePaths.UrlOf(d)}\"", text, StringComparison.Ordinal));
        }
        var response = await _shop.CreateClient().GetAsync($"/products/{victim.Slug}/");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty((await _shop.Generator().BuildAsync()).Written);
    }
}
