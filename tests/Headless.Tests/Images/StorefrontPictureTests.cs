using System.Net;
using System.Text.RegularExpressions;
using Headless.Contracts.Catalog;
using Headless.Tests.Images;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Storefront;

/// <summary>An uploaded image on the built shop: a <c>&lt;picture&gt;</c> with AVIF and WebP sources in every width,
/// the JPEG as the <c>&lt;img&gt;</c> with its box's width and height; the product page's hero fetched first and
/// never lazy, a listing's first row of cards eager and the rest lazy. The files are served by the API host beside the pages.</summary>
public sealed partial class StorefrontPictureTests : IAsyncLifetime
{
    private readonly ShopFactory _shop = new();

    public Task InitializeAsync() => _shop.InitializeAsync();

    public Task DisposeAsync() => _shop.DisposeAsync();

    [GeneratedRegex("<picture>.*?</picture>", RegexOptions.Singleline)]
    private static partial Regex Picture();

    [GeneratedRegex("<ul class=\"grid\">.*?</ul>", RegexOptions.Singleline)]
    private static partial Regex Grid();

    [GeneratedRegex("<img [^>]*>")]
    private static partial Regex CardImages();

    [Fact]
    public async Task Product_and_category_pages_render_the_uploaded_image_as_a_responsive_picture()
    {
        var admin = _shop.Admin();
        var slug = (await _shop.ListAsync())[3].Slug;
        var product = await (await admin.GetAsync($"/api/v1/admin/products/{(await _shop.ProductAsync(slug)).Id}")).ReadAsync<ProductDetail>();
        var first = await (await admin.SendJsonAsync(HttpMethod.Patch, $"/api/v1/admin/products/{product.Id}",
            new { images = Array.Empty<object>() }, AdminIfMatch.ETag(product.Version))).ReadAsync<ProductDetail>();
        var withImage = await (await admin.UploadAsync(first, TestImages.PhoneJpeg(1600, 1200), "image/jpeg", alt: "The tote, upright")).ReadAsync<ProductDetail>(HttpStatusCode.Created);
        var image = Assert.Single(withImage.Images);

        await _shop.Generator().BuildAsync();

        var page = _shop.File($"products/{slug}/index.html");
        var hero = Picture().Match(page).Value;
        Assert.Contains("<source type=\"image/avif\" srcset=\"" + string.Join(", ", image.Sources!.Where(s => s.Format == "avif").Select(s => $"{s.Url} {s.Width}w")) + "\"", hero, StringComparison.Ordinal);
        Assert.Contains("<source type=\"image/webp\" srcset=\"", hero, StringComparison.Ordinal);
        Assert.Contains("sizes=\"(min-width: 820px) 550px, calc(100vw - 32px)\"", hero, StringComparison.Ordinal);
        // The JPEG fallback, its box in the image's proportions (1200 × 1600 upright: 640 × 853), first to load, not lazy.
        Assert.Contains($"<img src=\"{image.Url}\" srcset=\"", hero, StringComparison.Ordinal);
        Assert.Contains("alt=\"The tote, upright\" width=\"640\" height=\"853\" fetchpriority=\"high\"", hero, StringComparison.Ordinal);
        Assert.DoesNotContain("loading=\"lazy\"", hero, StringComparison.Ordinal);

        var category = (await _shop.ProductAsync(slug)).Categories[0].Slug;
        var listing = Directory.GetFiles(Path.Combine(_shop.SiteDirectory, "categories", category), "index.html", SearchOption.AllDirectories)
            .Select(File.ReadAllText).First(html => html.Contains(image.Url, StringComparison.Ordinal));
        var cards = CardImages().Matches(Grid().Match(listing).Value).Select(m => m.Value).ToList();
        var position = cards.FindIndex(c => c.Contains(image.Url, StringComparison.Ordinal));
        var card = Picture().Matches(listing).Select(m => m.Value).Single(p => p.Contains(image.Url, StringComparison.Ordinal));
        Assert.Contains("<source type=\"image/avif\"", card, StringComparison.Ordinal);
        Assert.True(card.Contains("width=\"320\" height=\"426\"", StringComparison.Ordinal), card);
        Assert.Equal(position >= 2, card.Contains("loading=\"lazy\"", StringComparison.Ordinal));

        // A listing's first row (two cards on a phone) loads at once, the first card's image first (the page's
        // largest paint); the rest are lazy. Every image is sized, so nothing shifts when it arrives.
        var firstCategory = (await _shop.CategoriesAsync()).Categories[0].Slug;
        foreach (var html in new[] { listing, _shop.File($"categories/{firstCategory}/index.html") })
        {
            var images = CardImages().Matches(Grid().Match(html).Value).Select(m => m.Value).ToList();
            Assert.True(images.Count > 2, html);
            Assert.Contains("fetchpriority=\"high\"", images[0], StringComparison.Ordinal);
            Assert.DoesNotContain("loading=\"lazy\"", images[0], StringComparison.Ordinal);
            Assert.DoesNotContain("loading=\"lazy\"", images[1], StringComparison.Ordinal);
            Assert.DoesNotContain("fetchpriority", images[1], StringComparison.Ordinal);
            Assert.All(images.Skip(2), i => Assert.Contains("loading=\"lazy\"", i, StringComparison.Ordinal));
            Assert.All(images.Skip(1), i => Assert.DoesNotContain("fetchpriority", i, StringComparison.Ordinal));
            Assert.All(images, i => Assert.Matches("width=\"[0-9]+\" height=\"[0-9]+\"", i));
        }
        // One image fetched with high priority per page: the product page's hero.
        Assert.Single(Regex.Matches(page, "fetchpriority=\"high\""));
        Assert.All(Regex.Matches(page, "<img [^>]*>").Select(m => m.Value), i => Assert.Matches("width=\"[0-9]+\" height=\"[0-9]+\"", i));

        // The API host serves the files beside the pages, cached for good (their names are content hashes).
        foreach (var source in image.Sources!.Where(s => s.Width == 320))
        {
            var file = await _shop.CreateClient().GetAsync(source.Url);
            Assert.Equal(HttpStatusCode.OK, file.StatusCode);
            Assert.Equal(source.Format == "jpeg" ? "image/jpeg" : "image/" + source.Format, file.Content.Headers.ContentType!.MediaType);
            Assert.Equal("public, max-age=31536000, immutable", file.Headers.CacheControl!.ToString());
        }
    }
}
