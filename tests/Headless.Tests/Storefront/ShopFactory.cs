using System.Diagnostics;
using System.Net;
using Headless.Contracts.Catalog;
using Headless.Storefront;
using Headless.Storefront.Build;
using Headless.Storefront.Publishing;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Headless.Tests.Storefront;

/// <summary>
/// The API with the demo catalog, serving a site folder of its own at /, and generators that read that API
/// through the generated C# SDK (over the test server's HttpClient) and publish into the folder.
/// </summary>
public sealed class ShopFactory : ApiFactory, IAsyncLifetime
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "headless-shop-" + Guid.NewGuid().ToString("N")[..10]);

    public string SiteDirectory => Path.Combine(Root, "site");

    protected override bool LoadDemoCatalog => true;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Headless:Storefront:SiteDirectory", SiteDirectory);
    }

    public StorefrontOptions Options(string name = "site") => new()
    {
        BaseUrl = "https://shop.example",
        ManifestPath = Path.Combine(Root, name + "-manifest.json"),
        WidgetsOutputDirectory = Path.Combine(Root, "widgets"),
    };

    public SiteGenerator Generator(ISitePublisher? publisher = null, StorefrontOptions? options = null, TextWriter? log = null) =>
        new(new Headless.Sdk.HeadlessClient(CreateClient()), options ?? Options(), publisher ?? new LocalFolderPublisher(SiteDirectory), log);

    public string File(string path) => System.IO.File.ReadAllText(Path.Combine(SiteDirectory, path));

    public bool Exists(string path) => System.IO.File.Exists(Path.Combine(SiteDirectory, path));

    /// <summary>Every active product as the public API lists it, in the listing order (newest first).</summary>
    public async Task<List<ProductSummary>> ListAsync(string? category = null)
    {
        var client = CreateClient();
        var all = new List<ProductSummary>();
        string? cursor = null;
        do
        {
            var url = $"/api/v1/products?limit=100{(category is null ? "" : "&category=" + category)}{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}";
            var page = await (await client.GetAsync(url)).ReadAsync<ProductPage>();
            all.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return all;
    }

    public async Task<ProductDetail> ProductAsync(string slug) => await (await CreateClient().GetAsync($"/api/v1/products/{slug}")).ReadAsync<ProductDetail>();

    public async Task<CategoryTree> CategoriesAsync() => await (await CreateClient().GetAsync("/api/v1/categories")).ReadAsync<CategoryTree>();

    public async Task RenameAsync(ProductDetail product, string title)
    {
        var response = await Admin().SendJsonAsync(HttpMethod.Patch, $"/api/v1/admin/products/{product.Id}", new { title }, $"\"v{product.Version}\"");
        await response.ReadAsync<ProductDetail>();
    }

    public async Task ArchiveAsync(Guid id)
    {
        var response = await Admin().ArchiveProductAsync(id);
        await response.ReadAsync<ProductDetail>();
    }

    public async Task SetStockAsync(string sku, int onHand)
    {
        var response = await Admin().SetStockAsync(sku, new { onHand, reason = "stock take" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Polls the change feed until the generator has applied something; fails at the deadline.</summary>
    public static async Task<BuildReport> NextRebuildAsync(SiteGenerator generator, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (await generator.PollAsync() is { } report)
            {
                return report;
            }
            Assert.True(deadline.Elapsed < timeout, $"The change feed showed no change within {timeout.TotalSeconds:0.#} s.");
            await Task.Delay(20);
        }
    }

    /// <summary>Applies whatever the change feed still holds (a write's follow-ups), then waits for the sitemaps and the feed.</summary>
    public static async Task CaughtUpAsync(SiteGenerator generator)
    {
        while (await generator.PollAsync() is not null)
        {
        }
        await generator.CatalogFilesWrittenAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>The listing page (1-based) of each category, with its ancestors, that holds a product.</summary>
    public async Task<HashSet<string>> ListingPagesHoldingAsync(ProductDetail product, int pageSize = 24)
    {
        var tree = await CategoriesAsync();
        var byId = new Dictionary<Guid, CategoryNode>();
        void Walk(IEnumerable<CategoryNode> nodes)
        {
            foreach (var n in nodes)
            {
                byId[n.Id] = n;
                Walk(n.Children);
            }
        }
        Walk(tree.Categories);
        var listed = new HashSet<Guid>();
        foreach (var c in product.Categories)
        {
            for (CategoryNode? n = byId[c.Id]; n is not null; n = n.ParentId is { } p ? byId[p] : null)
            {
                listed.Add(n.Id);
            }
        }
        var pages = new HashSet<string>();
        foreach (var id in listed)
        {
            var slug = byId[id].Slug;
            var index = (await ListAsync(slug)).FindIndex(p => p.Id == product.Id);
            Assert.True(index >= 0, $"{product.Slug} is not listed in {slug}");
            var n = (index / pageSize) + 1;
            pages.Add(n == 1 ? $"categories/{slug}/index.html" : $"categories/{slug}/page/{n}/index.html");
        }
        return pages;
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}
