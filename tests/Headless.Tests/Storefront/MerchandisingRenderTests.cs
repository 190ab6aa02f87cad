using System.Text;
using Headless.Sdk;
using Headless.Storefront;
using Headless.Storefront.Catalog;
using Headless.Storefront.Rendering;

namespace Headless.Tests.Storefront;

/// <summary>The product page's SEO title and description (with their fallbacks) and compare-at prices.</summary>
public sealed class MerchandisingRenderTests
{
    private static string Render(ProductDetail product)
    {
        var options = new StorefrontOptions { BaseUrl = "https://shop.example" };
        var renderer = new SiteRenderer(Theme.Load(options.ThemeDirectory), options, Enumerable.Range(1, 6).ToDictionary(i => $"img/placeholder-{i}.svg", i => $"/assets/p{i}.svg")
            .Append(new("site.css", "/assets/site.css")).ToDictionary());
        renderer.UseCatalog(new CatalogSnapshot(new CategoryTree { Categories = [] }));
        return Encoding.UTF8.GetString(renderer.ProductPage(product).Content);
    }

    private static ProductVariant Variant(string sku, long price, long? compareAt) => new()
    {
        Id = Guid.NewGuid(),
        Sku = sku,
        Title = sku,
        Options = new Dictionary<string, string>(),
        Price = new Money { Amount = price, Currency = "EUR" },
        CompareAtPrice = compareAt is { } was ? new Money { Amount = was, Currency = "EUR" } : null,
        WeightGrams = 100,
        Status = "active",
        Available = 3,
        InStock = true,
        Version = 1,
    };

    private static ProductDetail Product(string? seoTitle, string? seoDescription, params ProductVariant[] variants) => new()
    {
        Id = Guid.NewGuid(),
        Slug = "linen-tote",
        Title = "Linen Tote",
        Description = "A washable linen tote.",
        Status = "active",
        Images = [],
        Tags = [],
        Categories = [],
        Variants = variants,
        InStock = true,
        Version = 1,
        CreatedAt = DateTimeOffset.UtcNow,
        UpdatedAt = DateTimeOffset.UtcNow,
        SeoTitle = seoTitle,
        SeoDescription = seoDescription,
    };

    [Fact]
    public void The_seo_title_and_description_fill_title_and_meta_description_and_fall_back_to_title_and_description()
    {
        var seo = Render(Product("Best linen tote", "Carries 15 kg.", Variant("A", 2000, null)));
        Assert.Contains("<title>Best linen tote · ", seo, StringComparison.Ordinal);
        Assert.Contains("<meta name=\"description\" content=\"Carries 15 kg.\">", seo, StringComparison.Ordinal);
        Assert.Contains("<h1>Linen Tote</h1>", seo, StringComparison.Ordinal);

        var plain = Render(Product(null, null, Variant("A", 2000, null)));
        Assert.Contains("<title>Linen Tote · ", plain, StringComparison.Ordinal);
        Assert.Contains("<meta name=\"description\" content=\"A washable linen tote.\">", plain, StringComparison.Ordinal);
    }

    [Fact]
    public void A_compare_at_price_is_shown_struck_through_beside_the_price()
    {
        var html = Render(Product(null, null, Variant("A", 2000, 2600), Variant("B", 2500, null)));
        Assert.Contains("<p class=\"compare-at\">Was <s>", html, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "<s class=\"v-was\">"));

        var none = Render(Product(null, null, Variant("A", 2000, null)));
        Assert.DoesNotContain("<s>", none, StringComparison.Ordinal);
        Assert.DoesNotContain("<s class", none, StringComparison.Ordinal);
    }
}
