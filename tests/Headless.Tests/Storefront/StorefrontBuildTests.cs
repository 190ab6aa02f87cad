using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Headless.Storefront.Build;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Storefront;

/// <summary>One full build of the demo catalog (through the public API), checked page type by page type.</summary>
public sealed class BuiltShop : IAsyncLifetime
{
    public ShopFactory Shop { get; } = new();
    public BuildReport First { get; private set; } = null!;
    public BuildReport Second { get; private set; } = null!;
    public Headless.Contracts.Catalog.ProductDetail Hostile { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Shop.InitializeAsync();
        var created = await Shop.Admin().CreateProductAsync(CatalogSeed.Product() with
        {
            Slug = "hostile-tote",
            Title = "<script>alert(\"pwned\")</script> Tote & \"Co\" 'quoted'",
            Description = "Line one </script><img src=x onerror=alert(1)>.\n\nSecond paragraph {{title}}.",
        });
        Hostile = created;
        First = await Shop.Generator().BuildAsync();
        Second = await Shop.Generator().BuildAsync();
    }

    public Task DisposeAsync() => Shop.DisposeAsync();
}

public sealed partial class StorefrontBuildTests(BuiltShop built) : IClassFixture<BuiltShop>
{
    private readonly ShopFactory _shop = built.Shop;

    [GeneratedRegex("<img [^>]*>")]
    private static partial Regex ImgTag();

    [GeneratedRegex("<script[^>]*>")]
    private static partial Regex ScriptTag();

    [GeneratedRegex("""<link rel="stylesheet" href="(/assets/[^"]+)">""")]
    private static partial Regex StylesheetLink();

    [Fact]
    public async Task A_full_build_renders_every_product_category_and_shell_page()
    {
        var products = await _shop.ListAsync();
        Assert.True(products.Count > 150);
        Assert.All(products, p => Assert.True(_shop.Exists($"products/{p.Slug}/index.html"), p.Slug));
        Assert.Equal(products.Count, Directory.GetDirectories(Path.Combine(_shop.SiteDirectory, "products")).Length);

        var tree = await _shop.CategoriesAsync();
        var all = tree.Categories.SelectMany(Flatten).ToList();
        Assert.All(all, c => Assert.True(_shop.Exists($"categories/{c.Slug}/index.html"), c.Slug));
        // The largest root category has more than one listing page, each linking to the next.
        var biggest = tree.Categories.Select(c => (c.Slug, Count: products.Count)).First().Slug;
        var listing = _shop.File($"categories/{biggest}/index.html");
        Assert.Contains($"href=\"/categories/{biggest}/page/2/\" rel=\"next\"", listing, StringComparison.Ordinal);
        Assert.True(_shop.Exists($"categories/{biggest}/page/2/index.html"));

        foreach (var shell in new[] { "index.html", "search/index.html", "cart/index.html", "checkout/index.html", "checkout/confirmation/index.html",
                     "account/index.html", "account/sign-in/index.html", "account/register/index.html", "account/mfa/index.html",
                     "account/forgot-password/index.html", "account/reset-password/index.html", "account/confirm-email/index.html", "404.html" })
        {
            var html = _shop.File(shell);
            Assert.StartsWith("<!doctype html>", html, StringComparison.Ordinal);
            Assert.Contains("<main id=\"main\">", html, StringComparison.Ordinal);
        }
        Assert.Contains("data-widget=\"search-results\"", _shop.File("search/index.html"), StringComparison.Ordinal);
        Assert.Contains("data-widget=\"cart\"", _shop.File("cart/index.html"), StringComparison.Ordinal);
        Assert.Contains("data-widget=\"checkout\"", _shop.File("checkout/index.html"), StringComparison.Ordinal);
        Assert.Contains("data-widget=\"order-confirmation\"", _shop.File("checkout/confirmation/index.html"), StringComparison.Ordinal);
        Assert.Contains("data-widget=\"sign-in\"", _shop.File("account/sign-in/index.html"), StringComparison.Ordinal);
        Assert.Contains("data-widget=\"confirm-email\"", _shop.File("account/confirm-email/index.html"), StringComparison.Ordinal);
        Assert.Contains("/assets/account.", _shop.File("account/reset-password/index.html"), StringComparison.Ordinal);

        var robots = _shop.File("robots.txt");
        Assert.Contains("Sitemap: https://shop.example/sitemap.xml", robots, StringComparison.Ordinal);
        Assert.Contains("Disallow: /checkout/", robots, StringComparison.Ordinal);
        Assert.Equal(products.Count, built.First.Products);
    }

    [Fact]
    public async Task The_sitemap_index_lists_sitemaps_that_hold_every_page_url()
    {
        XNamespace sm = "http://www.sitemaps.org/schemas/sitemap/0.9";
        var index = XDocument.Parse(_shop.File("sitemap.xml"));
        Assert.Equal(sm + "sitemapindex", index.Root!.Name);
        var files = index.Root.Elements(sm + "sitemap").Select(e => e.Element(sm + "loc")!.Value).ToList();
        Assert.NotEmpty(files);
        var urls = new List<string>();
        foreach (var file in files)
        {
            Assert.StartsWith("https://shop.example/sitemap-", file, StringComparison.Ordinal);
            var doc = XDocument.Parse(_shop.File(file["https://shop.example/".Length..]));
            Assert.Equal(sm + "urlset", doc.Root!.Name);
            var entries = doc.Root.Elements(sm + "url").ToList();
            Assert.InRange(entries.Count, 1, 50_000);
            urls.AddRange(entries.Select(e => e.Element(sm + "loc")!.Value));
        }
        Assert.Equal(urls.Count, urls.Distinct().Count());
        Assert.Contains("https://shop.example/", urls);
        foreach (var p in await _shop.ListAsync())
        {
            Assert.Contains($"https://shop.example/products/{p.Slug}/", urls);
        }
        Assert.DoesNotContain(urls, u => u.Contains("/account/", StringComparison.Ordinal) || u.Contains("/cart/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_product_feed_has_a_priced_item_per_variant()
    {
        XNamespace g = "http://base.google.com/ns/1.0";
        var feed = XDocument.Parse(_shop.File("feed.xml"));
        var items = feed.Root!.Element("channel")!.Elements("item").ToList();
        var product = await _shop.ProductAsync((await _shop.ListAsync())[3].Slug);
        foreach (var v in product.Variants)
        {
            var item = Assert.Single(items, i => i.Element(g + "id")!.Value == v.Sku);
            Assert.Equal($"{v.Price.Amount / 100}.{v.Price.Amount % 100:00} EUR", item.Element(g + "price")!.Value);
            Assert.Equal(v.InStock ? "in_stock" : "out_of_stock", item.Element(g + "availability")!.Value);
            Assert.Equal($"https://shop.example/products/{product.Slug}/", item.Element("link")!.Value);
        }
    }

    [Fact]
    public void Assets_are_published_under_their_content_hash()
    {
        var assets = Directory.GetFiles(Path.Combine(_shop.SiteDirectory, "assets"), "*", SearchOption.AllDirectories);
        Assert.Contains(assets, a => Path.GetFileName(a).StartsWith("site.", StringComparison.Ordinal) && a.EndsWith(".css", StringComparison.Ordinal));
        Assert.Contains(assets, a => Path.GetFileName(a).StartsWith("product.", StringComparison.Ordinal) && a.EndsWith(".js", StringComparison.Ordinal));
        Assert.All(assets, a =>
        {
            var name = Path.GetFileName(a);
            var hash = name.Split('.')[^2];
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(a)))[..10], hash);
        });
        var home = _shop.File("index.html");
        var css = StylesheetLink().Match(home).Groups[1].Value;
        Assert.True(_shop.Exists(css.TrimStart('/')), css);
    }

    [Fact]
    public void A_second_build_of_an_unchanged_catalog_writes_nothing()
    {
        Assert.True(built.First.Written.Count >= built.First.Rendered - 1, built.First.ToString());
        Assert.Empty(built.Second.Written);
        Assert.Empty(built.Second.Deleted);
        Assert.Equal(built.First.Rendered, built.Second.Rendered);
    }

    [Fact]
    public void Hostile_product_text_is_escaped_everywhere_it_appears()
    {
        var page = _shop.File("products/hostile-tote/index.html");
        Assert.DoesNotContain("<script>alert", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<img src=x", page, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; Tote &amp; &quot;Co&quot; &#x27;quoted&#x27;", page, StringComparison.Ordinal);
        Assert.Contains("Line one &lt;/script&gt;&lt;img src", page, StringComparison.Ordinal);
        Assert.Contains("Second paragraph {{title}}.", page, StringComparison.Ordinal);
        // The JSON-LD block holds the title too, with <, > and quotes as \u escapes: nothing can close the element.
        var ld = Regex.Match(page, "<script type=\"application/ld\\+json\">(.*?)</script>", RegexOptions.Singleline).Groups[1].Value;
        Assert.Contains("\\u003Cscript\\u003E", ld, StringComparison.Ordinal);
        Assert.DoesNotContain("<", ld, StringComparison.Ordinal);
        // Only our own script elements: the module, the JSON-LD.
        Assert.All(ScriptTag().Matches(page), m => Assert.Matches("^<script type=\"(module|application/ld\\+json)\"", m.Value));

        foreach (var file in Directory.GetFiles(_shop.SiteDirectory, "*.html", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain("<script>alert", File.ReadAllText(file), StringComparison.Ordinal);
        }
        var feed = _shop.File("feed.xml");
        Assert.Contains("&lt;script&gt;alert", feed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Product_and_category_pages_stay_within_the_budget()
    {
        var products = await _shop.ListAsync();
        var tree = await _shop.CategoriesAsync();
        var pages = new List<string>
        {
            $"products/{products[0].Slug}/index.html",
            $"products/{products.MaxBy(p => p.Title.Length)!.Slug}/index.html",
            $"categories/{tree.Categories[0].Slug}/index.html",
            $"categories/{tree.Categories[0].Slug}/page/2/index.html",
        };
        foreach (var path in pages)
        {
            var html = _shop.File(path);
            var css = _shop.File(StylesheetLink().Match(html).Groups[1].Value.TrimStart('/'));
            var compressed = Gzip(html) + Gzip(css);
            Assert.True(compressed < 30 * 1024, $"{path}: {compressed:N0} bytes of HTML+CSS compressed");

            // No render-blocking script: module scripts are deferred; JSON-LD is data.
            Assert.All(ScriptTag().Matches(html), m => Assert.Matches("^<script type=\"(module|application/ld\\+json)\"", m.Value));
            // Every image sized; all lazy but the product's main image or a listing's first row, the largest paint.
            var images = ImgTag().Matches(html).Select(m => m.Value).ToList();
            Assert.NotEmpty(images);
            Assert.All(images, img =>
            {
                Assert.Matches("width=\"\\d+\"", img);
                Assert.Matches("height=\"\\d+\"", img);
                // Card images are decorative (alt=""): the product title is the link's text right below.
                Assert.Matches("alt=\"[^\"]*\"", img);
            });
            var lazy = images.Where(i => i.Contains("loading=\"lazy\"", StringComparison.Ordinal)).ToList();
            if (path.StartsWith("products/", StringComparison.Ordinal))
            {
                Assert.Equal(images.Count - 1, lazy.Count);
                Assert.Contains("fetchpriority=\"high\"", images[0], StringComparison.Ordinal);
                Assert.Matches("alt=\"[^\"]+\"", images[0]);
            }
            else
            {
                // A listing's first row of cards (two on a phone) is eager, the first card fetched first.
                Assert.Equal(images.Count - Headless.Storefront.Rendering.SiteRenderer.EagerCards, lazy.Count);
                Assert.Equal(images.Take(Headless.Storefront.Rendering.SiteRenderer.EagerCards), images.Except(lazy));
                Assert.Contains("fetchpriority=\"high\"", images[0], StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task The_api_host_serves_the_site_with_content_types_cache_headers_and_a_404_page()
    {
        var client = _shop.CreateClient();
        var products = await _shop.ListAsync();

        var home = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        Assert.Equal("text/html", home.Content.Headers.ContentType?.MediaType);
        Assert.True(home.Headers.CacheControl is { Public: true, MustRevalidate: true } && home.Headers.CacheControl.MaxAge == TimeSpan.Zero, home.Headers.CacheControl?.ToString());

        foreach (var url in new[] { $"/products/{products[0].Slug}/", $"/products/{products[0].Slug}", "/account/confirm-email?userId=1&code=2" })
        {
            var page = await client.GetAsync(url);
            Assert.True(page.StatusCode == HttpStatusCode.OK, url);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        }
        var css = StylesheetLink().Match(await home.Content.ReadAsStringAsync()).Groups[1].Value;
        var asset = await client.GetAsync(css);
        Assert.Equal("text/css", asset.Content.Headers.ContentType?.MediaType);
        Assert.True(asset.Headers.CacheControl is { Public: true } cc && cc.MaxAge == TimeSpan.FromDays(365) && cc.Extensions.Any(e => e.Name == "immutable"), asset.Headers.CacheControl?.ToString());
        var sitemap = await client.GetAsync("/sitemap.xml");
        Assert.Equal("text/xml", sitemap.Content.Headers.ContentType?.MediaType);

        var gzip = new HttpRequestMessage(HttpMethod.Get, "/");
        gzip.Headers.AcceptEncoding.ParseAdd("gzip");
        Assert.Equal("gzip", Assert.Single((await client.SendAsync(gzip)).Content.Headers.ContentEncoding));
        var api = new HttpRequestMessage(HttpMethod.Get, "/api/v1/categories");
        api.Headers.AcceptEncoding.ParseAdd("gzip");
        Assert.Empty((await client.SendAsync(api)).Content.Headers.ContentEncoding);

        var missing = await client.GetAsync("/products/no-such-thing/");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("text/html", missing.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Page not found", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // The API keeps its own answers.
        await (await client.GetAsync("/api/v1/no-such-route")).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal("application/json", (await client.GetAsync("/health/live")).Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/categories")).StatusCode);
    }

    private static int Gzip(string text)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal))
        {
            gzip.Write(System.Text.Encoding.UTF8.GetBytes(text));
        }
        return buffer.ToArray().Length;
    }

    private static IEnumerable<Headless.Contracts.Catalog.CategoryNode> Flatten(Headless.Contracts.Catalog.CategoryNode node) =>
        node.Children.SelectMany(Flatten).Prepend(node);
}
