using System.Text;
using AngleSharp.Html.Parser;
using Headless.Sdk;
using Headless.Storefront;
using Headless.Storefront.Catalog;
using Headless.Storefront.Rendering;

namespace Headless.Tests.Storefront;

/// <summary>An imported HTML description shows as HTML on the product page, sanitised again at render: nothing
/// that runs script reaches the page even when the database holds it; a plain-text description stays text.</summary>
public sealed class DescriptionHtmlRenderTests
{
    private const string Hostile = """
        <p>Soft <strong>linen</strong>, <em>washed</em>.</p><ul><li>Undyed</li><li>Fair trade</li></ul>
        <p><a href="https://maker.example/story">Our story</a> <a href="javascript:alert(1)">win</a> <a href="JaVaScRiPt:alert(2)">prize</a></p>
        <script>alert(3)</script><img src="x" onerror="alert(4)"><p onclick="alert(5)" style="color:red">Click</p>
        <iframe src="https://evil.example"></iframe><svg><script>alert(6)</script></svg><a href="data:text/html,<script>alert(7)</script>">d</a>
        """;

    private static string Render(string description)
    {
        var options = new StorefrontOptions { BaseUrl = "https://shop.example" };
        var renderer = new SiteRenderer(Theme.Load(options.ThemeDirectory), options, Enumerable.Range(1, 6).ToDictionary(i => $"img/placeholder-{i}.svg", i => $"/assets/p{i}.svg")
            .Append(new("site.css", "/assets/site.css")).ToDictionary());
        renderer.UseCatalog(new CatalogSnapshot(new CategoryTree { Categories = [] }));
        return Encoding.UTF8.GetString(renderer.ProductPage(new ProductDetail
        {
            Id = Guid.NewGuid(),
            Slug = "linen-shirt",
            Title = "Linen Shirt",
            Description = description,
            Status = "active",
            Images = [],
            Tags = [],
            Categories = [],
            Variants = [new ProductVariant
            {
                Id = Guid.NewGuid(), Sku = "LS-1", Title = "M", Options = new Dictionary<string, string>(), Price = new Money { Amount = 4900, Currency = "EUR" },
                WeightGrams = 200, Status = "active", Available = 3, InStock = true, Version = 1,
            }],
            InStock = true,
            Version = 1,
            CreatedAt = DateTimeOffset.UtcNow,
            UpdatedAt = DateTimeOffset.UtcNow,
        }).Content);
    }

    [Fact]
    public void An_html_description_renders_as_html_with_scripts_handlers_and_script_urls_removed()
    {
        var html = Render(Hostile);
        var page = new HtmlParser().ParseDocument(html);
        var description = page.QuerySelector(".description")!;

        Assert.Equal("linen", description.QuerySelector("p > strong")!.TextContent);
        Assert.Equal(["Undyed", "Fair trade"], description.QuerySelectorAll("ul > li").Select(li => li.TextContent));
        Assert.Equal("https://maker.example/story", description.QuerySelector("a[href^='https:']")!.GetAttribute("href"));

        Assert.Empty(description.QuerySelectorAll("script, img, iframe, svg, style"));
        Assert.DoesNotContain(description.QuerySelectorAll("*").SelectMany(e => e.Attributes), a => a.Name.StartsWith("on", StringComparison.OrdinalIgnoreCase) || a.Name == "style");
        Assert.All(description.QuerySelectorAll("a[href]"), a => Assert.StartsWith("https:", a.GetAttribute("href"), StringComparison.Ordinal));
        // the page as a whole: the only scripts are the shop's own (JSON-LD and the widget module)
        Assert.DoesNotContain("alert(", string.Concat(page.QuerySelectorAll("script").Select(s => s.TextContent + s.GetAttribute("src"))), StringComparison.Ordinal);
        Assert.DoesNotContain("onerror", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("javascript:", html, StringComparison.OrdinalIgnoreCase);

        // the meta description is the text, not the markup
        Assert.StartsWith("Soft linen, washed. Undyed Fair trade", page.QuerySelector("meta[name=description]")!.GetAttribute("content"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_plain_text_description_stays_escaped_text_in_paragraphs()
    {
        var page = new HtmlParser().ParseDocument(Render("Fits bottles < 30 cm & <b>jars</b>.\n\nSecond paragraph."));
        var paragraphs = page.QuerySelectorAll(".description > p").Select(p => p.TextContent).ToList();

        Assert.Equal(["Fits bottles < 30 cm & <b>jars</b>.", "Second paragraph."], paragraphs);
        Assert.Empty(page.QuerySelectorAll(".description b"));
    }
}
