using System.Text;
using System.Xml.Linq;
using Headless.Sdk;
using Headless.Storefront;
using Headless.Storefront.Rendering;

namespace Headless.Tests.Storefront;

/// <summary>feed.xml is put together from each product's items, rendered again only for products whose catalog
/// object changed; the result is well-formed XML however hostile the product text.</summary>
public sealed class ProductFeedTests
{
    private static readonly XNamespace G = ProductFeed.GoogleNamespace;

    private static ProductDetail Product(string title, params (string Sku, long Amount, bool InStock, string Status)[] variants) => new()
    {
        Id = Guid.NewGuid(),
        Slug = title.ToLowerInvariant().Replace(' ', '-'),
        Title = title,
        Description = "Soft linen.\r\nWashed twice.",
        Status = "active",
        Images = [],
        Tags = [],
        Categories = [],
        Variants = [.. variants.Select(v => new ProductVariant
        {
            Id = Guid.NewGuid(), Sku = v.Sku, Title = "M", Options = new Dictionary<string, string>(), Price = new Money { Amount = v.Amount, Currency = "EUR" },
            WeightGrams = 200, Status = v.Status, Available = v.InStock ? 3 : 0, InStock = v.InStock, Version = 1,
        })],
    };

    private static List<XElement> Items(byte[] feed) =>
        [.. XDocument.Parse(Encoding.UTF8.GetString(feed)).Root!.Element("channel")!.Elements("item")];

    [Fact]
    public void Hostile_text_stays_text_and_characters_xml_forbids_are_left_out()
    {
        var feed = new ProductFeed(new StorefrontOptions { BaseUrl = "https://shop.example/", ShopName = "Tom & Jerry's <Shop>" });
        var hostile = Product("<script>alert(1)</script> Tote & \"Co\"\u0001\u0008 🌿\ud800", ("T-1", 1250, true, "active"));
        hostile.Slug = "hostile-tote";

        var bytes = feed.Render([hostile]);

        var doc = XDocument.Parse(Encoding.UTF8.GetString(bytes));
        Assert.Equal("Tom & Jerry's <Shop>", doc.Root!.Element("channel")!.Element("title")!.Value);
        var item = Assert.Single(Items(bytes));
        Assert.Equal("<script>alert(1)</script> Tote & \"Co\" 🌿 – M", item.Element("title")!.Value);
        Assert.Equal("12.50 EUR", item.Element(G + "price")!.Value);
        Assert.Equal("in_stock", item.Element(G + "availability")!.Value);
        Assert.Equal("https://shop.example/products/hostile-tote/", item.Element("link")!.Value);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
    }

    [Fact]
    public void Only_changed_products_are_rendered_again_and_removed_ones_drop_out()
    {
        var feed = new ProductFeed(new StorefrontOptions { BaseUrl = "https://shop.example" });
        var apron = Product("Apron", ("A-1", 1000, true, "active"), ("A-2", 1100, false, "active"), ("A-3", 1200, true, "archived"));
        var basket = Product("Basket", ("B-1", 2000, true, "active"));
        var candle = Product("Candle", ("C-1", 500, true, "active"));
        ProductDetail[] ById(params ProductDetail[] products) => [.. products.OrderBy(p => p.Id)];

        var first = Items(feed.Render(ById(apron, basket, candle)));
        Assert.Equal(3, feed.LastRendered);
        Assert.Equal(new[] { "A-1", "A-2", "B-1", "C-1" }, first.Select(i => i.Element(G + "id")!.Value).Order(StringComparer.Ordinal));
        Assert.Equal("out_of_stock", first.Single(i => i.Element(G + "id")!.Value == "A-2").Element(G + "availability")!.Value);

        var unchanged = feed.Render(ById(apron, basket, candle));
        Assert.Equal(0, feed.LastRendered);

        // The catalog brings a new object for a changed product: a rename of the basket, the candle archived.
        var renamed = Product("Big Basket", ("B-1", 2000, true, "active"));
        renamed.Id = basket.Id;
        var second = feed.Render(ById(apron, renamed));
        Assert.Equal(1, feed.LastRendered);
        var items = Items(second);
        Assert.Equal(new[] { "A-1", "A-2", "B-1" }, items.Select(i => i.Element(G + "id")!.Value).Order(StringComparer.Ordinal));
        Assert.Equal("Big Basket – M", items.Single(i => i.Element(G + "id")!.Value == "B-1").Element("title")!.Value);
        Assert.NotEqual(unchanged, second);

        // The candle comes back: its items left with it, so they are rendered again.
        feed.Render(ById(apron, renamed, candle));
        Assert.Equal(1, feed.LastRendered);
    }
}
