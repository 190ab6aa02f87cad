using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Headless.Api.Features.Demo;

namespace Headless.Tests.Demo;

public sealed class LargeDemoCatalog
{
    public DemoCatalog Catalog { get; } = DemoCatalog.Generate(100_000);
}

public sealed partial class DemoCatalogTests(LargeDemoCatalog large) : IClassFixture<LargeDemoCatalog>
{
    private readonly DemoCatalog _large = large.Catalog;

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex KebabCase();

    [Fact]
    public void Same_arguments_give_an_identical_catalog()
    {
        var digest = Digest(DemoCatalog.Generate(200));

        Assert.Equal(digest, Digest(DemoCatalog.Generate(200)));
        Assert.NotEqual(digest, Digest(DemoCatalog.Generate(200, seed: 7)));
        Assert.NotEqual(digest, Digest(DemoCatalog.Generate(200, "USD")));
    }

    [Fact]
    public void Two_hundred_products_have_about_five_variants_each()
    {
        var catalog = DemoCatalog.Generate(200);

        Assert.Equal(200, catalog.Products.Count);
        Assert.InRange(catalog.Variants.Count, 800, 1_200);
        Assert.All(catalog.Variants, v => Assert.Equal("EUR", v.Currency));
    }

    [Fact]
    public void Slugs_skus_and_ids_stay_unique_at_100000_products()
    {
        Assert.Equal(100_000, _large.Products.Count);
        AssertUnique(_large.Products.Select(p => p.Slug));
        AssertUnique(_large.Variants.Select(v => v.Sku));
        AssertUnique(_large.Categories.Select(c => c.Id).Concat(_large.Products.Select(p => p.Id)).Concat(_large.Variants.Select(v => v.Id)));
        Assert.Empty(_large.Products.Select(p => p.Slug).Where(s => !KebabCase().IsMatch(s)).Take(5));
    }

    [Fact]
    public void Every_product_has_variants_and_min_price_is_the_lowest_variant_price()
    {
        var variantsByProduct = _large.Variants.ToLookup(v => v.ProductId);

        var wrong = _large.Products
            .Where(p => variantsByProduct[p.Id].Count() is < 1 or > 9 || p.MinPrice != variantsByProduct[p.Id].Min(v => v.PriceAmount))
            .Select(p => p.Slug)
            .Take(5);
        Assert.Empty(wrong);
        Assert.Equal(_large.Variants.Count, _large.Products.Sum(p => variantsByProduct[p.Id].Count()));
    }

    [Fact]
    public void Some_products_are_sold_out_and_some_are_drafts()
    {
        var small = DemoCatalog.Generate(200);
        Assert.NotEmpty(SoldOut(small));
        Assert.Contains(small.Products, p => p.Status == "draft");

        var count = (double)_large.Products.Count;
        Assert.InRange(SoldOut(_large).Count / count, 0.01, 0.03);
        Assert.InRange(_large.Products.Count(p => p.Status == "draft") / count, 0.02, 0.04);
        Assert.InRange(_large.Products.Count(p => p.Featured) / count, 0.03, 0.07);
        Assert.All(_large.Products, p => Assert.True(p.Status is "active" or "draft", p.Status));

        var soldOut = SoldOut(_large);
        Assert.Contains(_large.Variants, v => v.OnHand == 0 && !soldOut.Contains(v.ProductId));
        Assert.All(_large.Variants, v => Assert.InRange(v.OnHand, 0, 500));
        Assert.InRange(_large.Variants.Count(v => v.OnHand <= 120) / (double)_large.Variants.Count, 0.95, 1.0);
    }

    [Fact]
    public void Category_slugs_are_unique_and_parents_come_before_children()
    {
        var catalog = DemoCatalog.Generate(200);
        var seen = new Dictionary<Guid, DemoCategory>();
        foreach (var category in catalog.Categories)
        {
            Assert.Matches(KebabCase(), category.Slug);
            if (category.ParentId is { } parentId)
            {
                Assert.True(seen.ContainsKey(parentId), $"{category.Slug} comes before its parent");
            }
            seen.Add(category.Id, category);
        }

        Assert.InRange(catalog.Categories.Count, 25, 40);
        AssertUnique(catalog.Categories.Select(c => c.Slug));
        Assert.InRange(catalog.Categories.Max(c => Depth(c, seen)), 2, 3);
    }

    [Fact]
    public void Products_link_to_a_leaf_category_and_at_most_one_more()
    {
        var catalog = DemoCatalog.Generate(200);
        var parents = catalog.Categories.Where(c => c.ParentId is not null).Select(c => c.ParentId!.Value).ToHashSet();
        var categoryIds = catalog.Categories.Select(c => c.Id).ToHashSet();
        var linksByProduct = catalog.ProductCategories.ToLookup(l => l.ProductId);

        Assert.All(catalog.Products, p =>
        {
            var links = linksByProduct[p.Id].ToList();
            Assert.InRange(links.Count, 1, 2);
            Assert.DoesNotContain(links[0].CategoryId, parents);
            Assert.All(links, l => Assert.Contains(l.CategoryId, categoryIds));
        });
        AssertUnique(catalog.ProductCategories);
    }

    [Fact]
    public void Products_and_variants_look_like_a_real_shop()
    {
        var catalog = DemoCatalog.Generate(500, "USD");
        var earliest = DemoCatalog.BaseDate.AddYears(-2).AddDays(-1);

        Assert.All(catalog.Products, p =>
        {
            Assert.InRange(p.Images.Count, 1, 3);
            Assert.All(p.Images, (image, i) =>
            {
                Assert.Equal($"/images/products/{p.Slug}-{i + 1}.jpg", image.Url);
                Assert.Equal((1200, 1200), (image.Width, image.Height));
                Assert.StartsWith(p.Title, image.Alt, StringComparison.Ordinal);
            });
            Assert.InRange(p.Tags.Count, 2, 5);
            Assert.All(p.Tags, t => Assert.Matches(KebabCase(), t));
            Assert.InRange(p.Description.Count(c => c == '.'), 2, 4);
            Assert.InRange(p.CreatedAt, earliest, DemoCatalog.BaseDate);
            Assert.Equal(7, p.Id.Version);
        });
        Assert.All(catalog.Variants, v =>
        {
            Assert.InRange(v.PriceAmount, 350, 18_900);
            Assert.Equal("USD", v.Currency);
            Assert.Matches("^[A-Z]{2}-[0-9]{6}-[0-9]{2}$", v.Sku);
            Assert.Equal(string.Join(" / ", v.Options.Select(o => o.Value)), v.Title);
            Assert.True(v.WeightGrams > 0);
            Assert.Equal(7, v.Id.Version);
        });
        Assert.All(catalog.Variants.GroupBy(v => v.ProductId), variants =>
        {
            Assert.True(variants.Max(v => v.PriceAmount) <= 5 * variants.Min(v => v.PriceAmount));
            Assert.Equal(Enumerable.Range(0, variants.Count()), variants.Select(v => v.Position));
        });
    }

    private static HashSet<Guid> SoldOut(DemoCatalog catalog) => catalog.Variants
        .GroupBy(v => v.ProductId)
        .Where(g => g.All(v => v.OnHand == 0))
        .Select(g => g.Key)
        .ToHashSet();

    private static int Depth(DemoCategory category, Dictionary<Guid, DemoCategory> byId) =>
        category.ParentId is { } parentId ? 1 + Depth(byId[parentId], byId) : 1;

    private static void AssertUnique<T>(IEnumerable<T> values)
    {
        var duplicates = values.GroupBy(v => v).Where(g => g.Count() > 1).Select(g => g.Key).Take(5);
        Assert.Empty(duplicates);
    }

    private static string Digest(DemoCatalog catalog)
    {
        var text = new StringBuilder();
        void Line(params object?[] fields) => text.AppendJoin('|', fields.Select(Format)).Append('\n');

        Line(catalog.Currency, catalog.Seed);
        foreach (var c in catalog.Categories)
        {
            Line(c.Id, c.ParentId, c.Slug, c.Name, c.Description, c.Position, c.CreatedAt);
        }
        foreach (var p in catalog.Products)
        {
            Line(p.Id, p.Slug, p.Title, p.Description, p.Status, p.Featured, p.MinPrice, p.CreatedAt,
                string.Join(',', p.Tags), string.Join(',', p.Images.Select(i => $"{i.Url} {i.Alt} {i.Width}x{i.Height}")));
        }
        foreach (var link in catalog.ProductCategories)
        {
            Line(link.ProductId, link.CategoryId);
        }
        foreach (var v in catalog.Variants)
        {
            Line(v.Id, v.ProductId, v.Sku, v.Title, v.PriceAmount, v.Currency, v.WeightGrams, v.Position, v.OnHand, v.CreatedAt,
                string.Join(',', v.Options.Select(o => $"{o.Name}={o.Value}")));
        }
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static string Format(object? value) => value switch
    {
        null => "null",
        DateTimeOffset at => at.ToString("O", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
