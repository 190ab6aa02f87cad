using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml;
using Headless.Sdk;
using Headless.Storefront.Catalog;

namespace Headless.Storefront.Rendering;

/// <summary>One output file: its path in the site (slash-separated), its bytes, and what it depends on.</summary>
public sealed record RenderedFile(string Path, byte[] Content, IReadOnlyList<string> Deps)
{
    /// <summary>The public URL of the file: products/x/index.html → /products/x/.</summary>
    public string Url => SitePaths.UrlOf(Path);
}

public static class SitePaths
{
    public static string Product(string slug) => $"products/{slug}/index.html";

    public static string Category(string slug, int page) => page <= 1 ? $"categories/{slug}/index.html" : $"categories/{slug}/page/{page}/index.html";

    public static string UrlOf(string path) => path.EndsWith("index.html", StringComparison.Ordinal) ? "/" + path[..^"index.html".Length] : "/" + path;

    public static string ProductDep(Guid id) => "p:" + id.ToString("N");

    public static string CategoryDep(Guid id) => "c:" + id.ToString("N");

    /// <summary>Every page shows the category navigation: a category change touches them all.</summary>
    public const string TreeDep = "tree";

    public const string AllProductsDep = "products";
}

/// <summary>Turns catalog data into files with the theme. Stateless apart from the assets' names and the feed's
/// items of each product (<see cref="ProductFeed"/>); thread-safe.</summary>
public sealed class SiteRenderer
{
    private static readonly string[] Placeholders = ["img/placeholder-1.svg", "img/placeholder-2.svg", "img/placeholder-3.svg", "img/placeholder-4.svg", "img/placeholder-5.svg", "img/placeholder-6.svg"];

    private readonly Theme _theme;
    private readonly StorefrontOptions _options;
    private readonly IReadOnlyDictionary<string, string> _assets;
    private readonly ProductFeed _feed;
    private SiteVm _site = null!;
    private CatalogSnapshot _catalog = null!;

    public SiteRenderer(Theme theme, StorefrontOptions options, IReadOnlyDictionary<string, string> assetUrls)
    {
        _theme = theme;
        _options = options;
        _assets = assetUrls;
        _feed = new ProductFeed(options);
    }

    private string BaseUrl => _options.BaseUrl.TrimEnd('/');

    /// <summary>Takes the category tree for the navigation; call again after a category change.</summary>
    public void UseCatalog(CatalogSnapshot catalog)
    {
        _catalog = catalog;
        _site = new SiteVm
        {
            Name = _options.ShopName,
            BaseUrl = BaseUrl,
            Css = Asset("site.css"),
            Nav = catalog.Roots.Select(c => new LinkVm(c.Name, c.Url)).ToList(),
            Scripts = _assets.Where(a => a.Key.EndsWith(".js", StringComparison.Ordinal)).ToDictionary(a => a.Key[..^3], a => a.Value),
            Year = DateTime.UtcNow.Year.ToString(CultureInfo.InvariantCulture),
            TestMode = _options.TestMode,
        };
    }

    private string Asset(string logical) => _assets.TryGetValue(logical, out var url) ? url : throw new InvalidOperationException($"The theme has no asset {logical}.");

    private string? Script(string name) => _assets.TryGetValue(name + ".js", out var url) ? url : null;

    private RenderedFile Html(string path, string template, PageVm page, object model, IReadOnlyList<string> deps) =>
        new(path, _theme.RenderUtf8(template, page, model, _site), deps);

    // ---- product pages -------------------------------------------------------------------------------

    public RenderedFile ProductPage(ProductDetail p)
    {
        var variants = p.Variants.Where(v => v.Status == "active").ToList();
        var cheapest = variants.Count == 0 ? null : variants.MinBy(v => v.Price.Amount);
        var firstInStock = variants.FindIndex(v => v.InStock);
        var images = p.Images.ToList();
        var category = p.Categories.Select(c => _catalog.Categories.GetValueOrDefault(c.Id)).FirstOrDefault(c => c is not null);
        var crumbs = new List<LinkVm> { new("Home", "/") };
        if (category is not null)
        {
            crumbs.AddRange(category.SelfAndAncestors().Reverse().Select(c => new LinkVm(c.Name, c.Url)));
        }
        var price = cheapest is null ? "" : (variants.Any(v => v.Price.Amount != cheapest.Price.Amount) ? "From " : "") + MoneyText.Format(cheapest.Price.Amount, cheapest.Price.Currency);
        var model = new ProductVm
        {
            Id = p.Id.ToString(),
            Slug = p.Slug,
            Title = p.Title,
            Paragraphs = DescriptionHtml.IsHtml(p.Description) ? [] : p.Description.Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            DescriptionHtml = DescriptionHtml.IsHtml(p.Description) ? DescriptionHtml.Safe(p.Description) : null,
            Price = price,
            CompareAt = cheapest?.CompareAtPrice is { } was ? MoneyText.Format(was.Amount, was.Currency) : "",
            InStock = p.InStock,
            StockText = StockText(variants),
            Image = Image(p.Slug, images.FirstOrDefault(), p.Title, 0, 640, lazy: false, HeroSizes, priority: true),
            Thumbnails = images.Skip(1).Select((img, i) => Image(p.Slug, img, p.Title, i + 1, 160, lazy: true, ThumbSizes)).ToList(),
            Variants = variants.Select((v, i) => new VariantVm
            {
                Id = v.Id.ToString(),
                Sku = v.Sku,
                Title = v.Title,
                Price = MoneyText.Format(v.Price.Amount, v.Price.Currency),
                Amount = v.Price.Amount,
                CompareAt = v.CompareAtPrice is { } was ? MoneyText.Format(was.Amount, was.Currency) : "",
                InStock = v.InStock,
                Available = v.Available,
                Checked = i == Math.Max(firstInStock, 0),
            }).ToList(),
            Breadcrumbs = crumbs,
            Tags = p.Tags.Select(t => t.Replace('-', ' ')).ToList(),
            Version = p.Version.ToString(CultureInfo.InvariantCulture),
        };
        var summary = Summary(p.Description);
        var page = new PageVm
        {
            Title = p.SeoTitle ?? p.Title,
            Description = p.SeoDescription ?? summary,
            Url = $"/products/{p.Slug}/",
            Script = Script("product"),
            BodyClass = "product",
            JsonLd = ProductJsonLd(p, variants, summary),
        };
        var deps = new List<string>(p.Categories.Count + 2) { SitePaths.ProductDep(p.Id), SitePaths.TreeDep };
        return Html(SitePaths.Product(p.Slug), "product", page, model, deps);
    }

    private static string StockText(List<ProductVariant> variants)
    {
        var available = variants.Where(v => v.InStock).Sum(v => (long)v.Available);
        return available switch
        {
            0 => "Sold out",
            <= 5 => $"Only {available} left",
            _ => "In stock",
        };
    }

    private string ProductJsonLd(ProductDetail p, List<ProductVariant> variants, string summary)
    {
        // Written straight (not through a JsonObject tree): the same bytes, fewer allocations. The default
        // encoder escapes <, >, & and quotes as \uXXXX, so no text can close the script element.
        var buffer = new ArrayBufferWriter<byte>(512 + (variants.Count * 160));
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("@context", "https://schema.org");
            w.WriteString("@type", "Product");
            w.WriteString("name", p.Title);
            w.WriteString("description", summary);
            w.WriteString("url", $"{BaseUrl}/products/{p.Slug}/");
            w.WriteStartArray("offers");
            foreach (var v in variants)
            {
                w.WriteStartObject();
                w.WriteString("@type", "Offer");
                w.WriteString("sku", v.Sku);
                w.WriteString("price", MoneyText.Plain(v.Price.Amount, v.Price.Currency));
                w.WriteString("priceCurrency", v.Price.Currency);
                w.WriteString("availability", v.InStock ? "https://schema.org/InStock" : "https://schema.org/OutOfStock");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>How wide each kind of image shows, for the browser to pick a file before layout.</summary>
    public const string HeroSizes = "(min-width: 820px) 550px, calc(100vw - 32px)";
    public const string CardSizes = "(min-width: 1160px) 200px, (min-width: 560px) 30vw, 45vw";
    public const string ThumbSizes = "80px";

    private ImageVm Image(string slug, ProductImage? image, string title, int index, int size, bool lazy, string sizes, bool priority = false)
    {
        var alt = string.IsNullOrWhiteSpace(image?.Alt) ? title : image!.Alt;
        // Uploaded images: a <picture> with AVIF and WebP sources and the JPEG as the <img>, all in every width;
        // width and height keep the image's own proportions so the browser reserves its box (no layout shift).
        if (image?.Sources is { Count: > 0 } sources && image.Width > 0 && image.Height > 0)
        {
            string Srcset(string format) => string.Join(", ", sources.Where(x => x.Format == format).OrderBy(x => x.Width).Select(x => $"{x.Url} {x.Width}w"));
            return new ImageVm
            {
                Src = image.Url,
                Alt = alt,
                Width = size,
                Height = Math.Max(1, (int)Math.Round(size * (double)image.Height / image.Width)),
                Lazy = lazy,
                Priority = priority,
                Sizes = sizes,
                Srcset = Srcset("jpeg"),
                Sources = new[] { ("avif", "image/avif"), ("webp", "image/webp") }
                    .Where(f => sources.Any(x => x.Format == f.Item1))
                    .Select(f => new SourceVm(f.Item2, Srcset(f.Item1))).ToList(),
            };
        }
        // Absolute image URLs are used as they are; site-relative ones without files (images given by path
        // only) have nothing behind them here, so a sized SVG placeholder stands in, keeping the alt text.
        var src = image?.Url is { } url && (url.StartsWith("https://", StringComparison.Ordinal) || url.StartsWith("http://", StringComparison.Ordinal))
            ? url
            : Asset(Placeholders[(int)((StableHash(slug) + (uint)index) % (uint)Placeholders.Length)]);
        return new ImageVm { Src = src, Alt = alt, Width = size, Height = size, Lazy = lazy, Priority = priority };
    }

    // FNV-1a: the same placeholder for a product in every build (string.GetHashCode differs per process).
    private static uint StableHash(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return hash;
    }

    /// <summary>Listing cards loaded at once: the first row on a phone (two columns), where the first card's image
    /// is the page's largest paint; the rest are lazy. Only the first is fetched with high priority.</summary>
    public const int EagerCards = 2;

    private CardVm Card(ProductDetail p, int position = int.MaxValue)
    {
        var prices = p.Variants.Where(v => v.Status == "active").Select(v => v.Price).ToList();
        var min = prices.Count == 0 ? null : prices.MinBy(m => m.Amount);
        return new CardVm
        {
            Url = $"/products/{p.Slug}/",
            Title = p.Title,
            Price = min is null ? "" : (prices.Any(m => m.Amount != min.Amount) ? "From " : "") + MoneyText.Format(min.Amount, min.Currency),
            InStock = p.InStock,
            Image = Image(p.Slug, p.Images.FirstOrDefault(), p.Title, 0, 320, lazy: position >= EagerCards, CardSizes, priority: position == 0),
        };
    }

    internal static string Summary(string text)
    {
        var flat = (DescriptionHtml.IsHtml(text) ? DescriptionHtml.Text(text) : text).ReplaceLineEndings(" ").Trim();
        return flat.Length <= 155 ? flat : flat[..152].TrimEnd() + "…";
    }

    // ---- category listings ---------------------------------------------------------------------------

    public int PageCount(int products) => Math.Max(1, (products + _options.PageSize - 1) / _options.PageSize);

    /// <summary>The listing pages of a category from <paramref name="fromPage"/> up to <paramref name="toPage"/> (inclusive, 1-based).</summary>
    public IEnumerable<RenderedFile> ListingPages(CategoryInfo category, List<ProductDetail> products, int fromPage = 1, int toPage = int.MaxValue)
    {
        var pages = PageCount(products.Count);
        var crumbs = new List<LinkVm> { new("Home", "/") };
        crumbs.AddRange(category.SelfAndAncestors().Skip(1).Reverse().Select(c => new LinkVm(c.Name, c.Url)));
        var subcategories = category.Children.Select(c => new LinkVm(c.Name, c.Url)).ToList();
        for (var n = Math.Max(1, fromPage); n <= Math.Min(pages, toPage); n++)
        {
            var slice = products.Skip((n - 1) * _options.PageSize).Take(_options.PageSize).ToList();
            var url = SitePaths.UrlOf(SitePaths.Category(category.Slug, n));
            var model = new ListingVm
            {
                Name = category.Name,
                Description = category.Description,
                Breadcrumbs = crumbs,
                Subcategories = subcategories,
                Products = slice.Select((p, i) => Card(p, i)).ToList(),
                Total = products.Count,
                PageNumber = n,
                PageCount = pages,
                PrevUrl = n > 1 ? SitePaths.UrlOf(SitePaths.Category(category.Slug, n - 1)) : null,
                NextUrl = n < pages ? SitePaths.UrlOf(SitePaths.Category(category.Slug, n + 1)) : null,
                Pages = PageLinks(category.Slug, n, pages),
            };
            var page = new PageVm
            {
                Title = n == 1 ? category.Name : $"{category.Name} – page {n}",
                Description = string.IsNullOrWhiteSpace(category.Description) ? $"{category.Name} at {_options.ShopName}" : Summary(category.Description),
                Url = url,
                BodyClass = "listing",
            };
            var deps = new List<string>(slice.Count + 2) { SitePaths.CategoryDep(category.Id), SitePaths.TreeDep };
            deps.AddRange(slice.Select(p => SitePaths.ProductDep(p.Id)));
            yield return Html(SitePaths.Category(category.Slug, n), "category", page, model, deps);
        }
    }

    private static List<LinkVm> PageLinks(string slug, int current, int pages)
    {
        var numbers = new SortedSet<int> { 1, pages };
        for (var i = current - 2; i <= current + 2; i++)
        {
            if (i >= 1 && i <= pages)
            {
                numbers.Add(i);
            }
        }
        return numbers.Select(i => new LinkVm(i.ToString(CultureInfo.InvariantCulture), SitePaths.UrlOf(SitePaths.Category(slug, i)), i == current)).ToList();
    }

    // ---- home ----------------------------------------------------------------------------------------

    public const int HomeProducts = 8;

    /// <summary>The products the home page shows: featured ones and the newest, in listing order.</summary>
    public static (List<ProductDetail> Featured, List<ProductDetail> Newest) HomeSelection(IEnumerable<ProductDetail> products)
    {
        var featured = new List<ProductDetail>();
        var newest = new List<ProductDetail>();
        foreach (var p in products)
        {
            if (p.Featured)
            {
                Keep(featured, p);
            }
            Keep(newest, p);
        }
        return (featured, newest);

        static void Keep(List<ProductDetail> top, ProductDetail p)
        {
            if (top.Count == HomeProducts && CatalogSnapshot.ListingOrder(p, top[^1]) >= 0)
            {
                return;
            }
            var at = top.BinarySearch(p, Comparer<ProductDetail>.Create(CatalogSnapshot.ListingOrder));
            top.Insert(at < 0 ? ~at : at, p);
            if (top.Count > HomeProducts)
            {
                top.RemoveAt(HomeProducts);
            }
        }
    }

    public RenderedFile Home(Dictionary<Guid, List<ProductDetail>> listings)
    {
        var (featured, newest) = HomeSelection(_catalog.Products.Values);
        var model = new HomeVm
        {
            Categories = _catalog.Roots.Select(c => new CategoryTileVm(c.Name, c.Url, Summary(c.Description), listings.TryGetValue(c.Id, out var l) ? l.Count : 0)).ToList(),
            Featured = featured.Select(p => Card(p)).ToList(),
            Newest = newest.Select(p => Card(p)).ToList(),
        };
        var page = new PageVm
        {
            Title = "Handmade, eco-friendly goods",
            Description = $"{_options.ShopName}: handmade, eco-friendly goods for home, kitchen and everyday life, shipped worldwide.",
            Url = "/",
            BodyClass = "home",
        };
        var deps = new List<string> { SitePaths.TreeDep };
        deps.AddRange(featured.Concat(newest).Select(p => SitePaths.ProductDep(p.Id)).Distinct());
        return Html("index.html", "home", page, model, deps);
    }

    /// <summary>The home page's tile counts depend on the listings' sizes; count them without building the lists.</summary>
    public Dictionary<Guid, List<ProductDetail>> RootCounts()
    {
        var lists = _catalog.Roots.ToDictionary(c => c.Id, _ => new List<ProductDetail>());
        foreach (var p in _catalog.Products.Values)
        {
            foreach (var id in _catalog.ListedIn(p))
            {
                if (lists.TryGetValue(id, out var list))
                {
                    list.Add(p);
                }
            }
        }
        return lists;
    }

    // ---- shells: pages the widgets enhance -----------------------------------------------------------

    private sealed record Shell(string Path, string Template, string Title, string Description, string? Script, bool NoIndex);

    private static readonly Shell[] Shells =
    [
        new("search/index.html", "search", "Search", "Search the shop.", "search", false),
        new("cart/index.html", "cart", "Your cart", "The products in your cart.", "cart", true),
        new("checkout/index.html", "checkout", "Checkout", "Address, shipping and payment.", "checkout", true),
        new("checkout/confirmation/index.html", "order-confirmation", "Thank you for your order", "Your order confirmation.", "checkout", true),
        new("account/index.html", "account", "Your account", "Your profile, addresses, orders and security settings.", "account", true),
        new("account/sign-in/index.html", "sign-in", "Sign in", "Sign in to your account.", "account", true),
        new("account/register/index.html", "register", "Create an account", "Create an account.", "account", true),
        new("account/mfa/index.html", "mfa", "Two-factor sign-in", "Set up an authenticator app.", "account", true),
        new("account/second-factor/index.html", "second-factor", "Enter your sign-in code", "Finish signing in with your authenticator app.", "account", true),
        new("account/forgot-password/index.html", "forgot-password", "Forgot your password?", "Get a link to choose a new password.", "account", true),
        new("account/reset-password/index.html", "reset-password", "Choose a new password", "Choose a new password.", "account", true),
        new("account/confirm-email/index.html", "confirm-email", "Confirm your email", "Confirm your email address.", "account", true),
    ];

    public IEnumerable<RenderedFile> ShellPages()
    {
        foreach (var shell in Shells)
        {
            var page = new PageVm
            {
                Title = shell.Title,
                Description = shell.Description,
                Url = SitePaths.UrlOf(shell.Path),
                Script = shell.Script is null ? null : Script(shell.Script),
                NoIndex = shell.NoIndex,
                BodyClass = shell.Template,
            };
            yield return Html(shell.Path, shell.Template, page, new { }, [SitePaths.TreeDep]);
        }
        yield return Html("404.html", "not-found", new PageVm { Title = "Page not found", Url = "/404.html", NoIndex = true, BodyClass = "not-found" },
            new { categories = _catalog.Roots.Select(c => new LinkVm(c.Name, c.Url)).ToList() }, [SitePaths.TreeDep]);
    }

    // ---- robots, sitemaps, feed ----------------------------------------------------------------------

    public RenderedFile Robots() => new("robots.txt", Encoding.UTF8.GetBytes($"""
        User-agent: *
        Disallow: /cart/
        Disallow: /checkout/
        Disallow: /account/
        Disallow: /api/

        Sitemap: {BaseUrl}/sitemap.xml

        """), []);

    /// <summary>sitemap.xml is an index of sitemap-N.xml files: the static pages and categories, then products
    /// in id order (new products land in the last file), <see cref="StorefrontOptions.SitemapChunk"/> URLs each.</summary>
    public IEnumerable<RenderedFile> Sitemaps(Dictionary<Guid, int> listingSizes) =>
        Sitemaps(listingSizes, [.. _catalog.Products.Values.OrderBy(p => p.Id)]);

    /// <summary>The sitemaps of a given set of products (in id order): a snapshot taken while the catalog moves on.</summary>
    public IEnumerable<RenderedFile> Sitemaps(Dictionary<Guid, int> listingSizes, IReadOnlyList<ProductDetail> productsById)
    {
        var urls = new List<(string Url, DateTimeOffset? LastMod)> { ("/", null), ("/search/", null) };
        foreach (var c in _catalog.Categories.Values.OrderBy(c => c.Slug, StringComparer.Ordinal))
        {
            var pages = PageCount(listingSizes.GetValueOrDefault(c.Id));
            for (var n = 1; n <= pages; n++)
            {
                urls.Add((SitePaths.UrlOf(SitePaths.Category(c.Slug, n)), null));
            }
        }
        urls.AddRange(productsById.Select(p => ($"/products/{p.Slug}/", (DateTimeOffset?)p.UpdatedAt)));
        var files = new List<string>();
        for (var i = 0; i * _options.SitemapChunk < urls.Count; i++)
        {
            var name = $"sitemap-{i + 1}.xml";
            files.Add(name);
            yield return new RenderedFile(name, Xml(w =>
            {
                w.WriteStartElement("urlset", "http://www.sitemaps.org/schemas/sitemap/0.9");
                foreach (var (url, lastMod) in urls.Skip(i * _options.SitemapChunk).Take(_options.SitemapChunk))
                {
                    w.WriteStartElement("url");
                    w.WriteElementString("loc", BaseUrl + url);
                    if (lastMod is { } m)
                    {
                        w.WriteElementString("lastmod", m.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
                    }
                    w.WriteEndElement();
                }
                w.WriteEndElement();
            }), [SitePaths.AllProductsDep, SitePaths.TreeDep]);
        }
        yield return new RenderedFile("sitemap.xml", Xml(w =>
        {
            w.WriteStartElement("sitemapindex", "http://www.sitemaps.org/schemas/sitemap/0.9");
            foreach (var f in files)
            {
                w.WriteStartElement("sitemap");
                w.WriteElementString("loc", $"{BaseUrl}/{f}");
                w.WriteEndElement();
            }
            w.WriteEndElement();
        }), [SitePaths.AllProductsDep, SitePaths.TreeDep]);
    }

    /// <summary>The product feed (RSS 2.0 with Google Merchant Center's g: fields), one item per variant.</summary>
    public RenderedFile Feed() => Feed([.. _catalog.Products.Values.OrderBy(p => p.Id)]);

    /// <summary>The feed of a given set of products (in id order); only the products changed since the last feed are rendered.</summary>
    public RenderedFile Feed(IReadOnlyList<ProductDetail> productsById) => new("feed.xml", _feed.Render(productsById), [SitePaths.AllProductsDep]);

    /// <summary>How many products the last <see cref="Feed()"/> rendered items for (the others' were reused).</summary>
    public int FeedProductsRendered => _feed.LastRendered;

    private static byte[] Xml(Action<XmlWriter> write)
    {
        using var stream = new ChunkedStream();
        using (var w = XmlWriter.Create(stream, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true }))
        {
            w.WriteStartDocument();
            write(w);
            w.WriteEndDocument();
        }
        return stream.ToArray();
    }
}

/// <summary>
/// A write-only stream into pooled 1 MiB chunks, copied once into an array of the exact size. The feed is hundreds
/// of MB at 100,000 products: a MemoryStream would double its buffer a dozen times (about twice the feed's size
/// in large-object allocations and copies) before copying it out once more.
/// </summary>
internal sealed class ChunkedStream : Stream
{
    private const int ChunkSize = 1 << 20;
    private readonly List<byte[]> _chunks = [];
    private int _used = ChunkSize;
    private long _length;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _length;
    public override long Position { get => _length; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            if (_used == ChunkSize)
            {
                _chunks.Add(ArrayPool<byte>.Shared.Rent(ChunkSize));
                _used = 0;
            }
            var n = Math.Min(buffer.Length, ChunkSize - _used);
            buffer[..n].CopyTo(_chunks[^1].AsSpan(_used));
            _used += n;
            _length += n;
            buffer = buffer[n..];
        }
    }

    public byte[] ToArray()
    {
        var bytes = GC.AllocateUninitializedArray<byte>(checked((int)_length));
        for (var i = 0; i < _chunks.Count; i++)
        {
            var n = i < _chunks.Count - 1 ? ChunkSize : _used;
            _chunks[i].AsSpan(0, n).CopyTo(bytes.AsSpan(i * ChunkSize));
        }
        return bytes;
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        foreach (var chunk in _chunks)
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        _chunks.Clear();
        base.Dispose(disposing);
    }
}
