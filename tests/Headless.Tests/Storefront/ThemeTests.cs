using Headless.Storefront;
using Headless.Storefront.Rendering;

namespace Headless.Tests.Storefront;

/// <summary>The theme's templates rendered straight from view models, no catalog behind them.</summary>
public sealed class ThemeTests
{
    private const string Hostile = "<b>\"Tote\" & 'Co'</b> `x` a=b";
    private const string Escaped = "&lt;b&gt;&quot;Tote&quot; &amp; &#x27;Co&#x27;&lt;/b&gt; &#x60;x&#x60; a&#x3D;b";

    private static readonly Theme Theme = Theme.Load(new StorefrontOptions().ThemeDirectory);

    private static SiteVm Site() => new()
    {
        Name = Hostile,
        BaseUrl = "https://shop.example",
        Css = "/assets/site.css",
        Nav = [new LinkVm(Hostile, "/categories/a/?x=1&y=2")],
        Scripts = new Dictionary<string, string>(),
        Year = "2026",
    };

    private static CardVm Card(int i) => new()
    {
        Url = $"/products/p{i}/",
        Title = Hostile,
        Price = "9.00 EUR",
        InStock = i % 2 == 0,
        Image = new ImageVm { Src = "/img.svg", Alt = Hostile, Width = 320, Height = 320 },
    };

    private static string Listing() => Theme.Render("category",
        new PageVm { Title = Hostile, Url = "/categories/a/", JsonLd = "<b>raw</b>" },
        new ListingVm
        {
            Name = Hostile,
            Description = Hostile,
            Breadcrumbs = [new LinkVm("Home", "/"), new LinkVm(Hostile, "/categories/a/")],
            Subcategories = [],
            Products = Enumerable.Range(1, 24).Select(Card).ToList(),
            Total = 48,
            PageNumber = 1,
            PageCount = 2,
            NextUrl = "/categories/a/page/2/",
            Pages = [new LinkVm("1", "/categories/a/", true), new LinkVm("2", "/categories/a/page/2/")],
        },
        Site());

    [Fact]
    public void Every_printed_value_is_escaped_once_and_only_marked_html_is_raw()
    {
        var html = Listing();

        Assert.DoesNotContain("<b>\"Tote\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("&amp;lt;", html, StringComparison.Ordinal);
        // <title> (page title and shop name), the header's shop name and nav link, the breadcrumb, heading
        // and description, 24 card titles, the footer's shop name twice.
        Assert.Equal(2 + 2 + 3 + 24 + 2, html.Split(Escaped).Length - 1);
        Assert.Contains("href=\"/categories/a/?x&#x3D;1&amp;y&#x3D;2\"", html, StringComparison.Ordinal);
        // page.json_ld goes through | raw: generator-made HTML.
        Assert.Contains("<script type=\"application/ld+json\"><b>raw</b></script>", html, StringComparison.Ordinal);
        Assert.Equal(24, html.Split("<li class=\"card\">").Length - 1);
        Assert.Equal(12, html.Split("<span class=\"badge out\">Sold out</span>").Length - 1);
    }

    [Fact]
    public void A_page_comes_out_the_same_on_reused_contexts_in_parallel()
    {
        // Contexts are pooled and pages render in parallel: each page must come out whole and the same,
        // whichever context renders it after whatever it rendered before.
        var first = Listing();
        var pages = new string[200];
        Parallel.For(0, pages.Length, i => pages[i] = Listing());
        Assert.All(pages, page => Assert.Equal(first, page));
    }

    [Fact]
    public void A_missing_partial_or_page_is_named()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Theme.Render("nope", new PageVm { Title = "x", Url = "/" }, new { }, Site()));
        Assert.Contains("pages/nope.liquid", error.Message, StringComparison.Ordinal);

        var folder = Directory.CreateTempSubdirectory("headless-theme-");
        try
        {
            foreach (var sub in new[] { "layouts", "partials", "pages" })
            {
                Directory.CreateDirectory(Path.Combine(folder.FullName, sub));
            }
            File.WriteAllText(Path.Combine(folder.FullName, "layouts", "default.liquid"), "{{ body | raw }}");
            File.WriteAllText(Path.Combine(folder.FullName, "pages", "home.liquid"), "{% include 'gone' %}");
            var theme = Theme.Load(folder.FullName);
            var missing = Assert.ThrowsAny<Exception>(() => theme.Render("home", new PageVm { Title = "x", Url = "/" }, new { }, Site()));
            Assert.Contains("partials/gone.liquid", missing.Message, StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
