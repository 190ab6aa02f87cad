using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Headless.Contracts.Catalog;
using Headless.Storefront;
using Headless.Storefront.Build;
using Headless.Storefront.Publishing;
using Headless.Tests.Images;
using Headless.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Headless.Tests.AdminUi;

/// <summary>The product's Images tab: upload through the file picker, alt text, reorder and delete by keyboard,
/// a refused file with the API's reason beside it, a stale version explained, and the image on the built shop.</summary>
[Collection(AdminBrowserCollection.Name)]
public sealed partial class ProductImageScreenTests(AdminBrowser admin)
{
    [GeneratedRegex("<picture>.*?</picture>", RegexOptions.Singleline)]
    private static partial Regex Picture();

    private static FilePayload Jpeg(string name, int seed) =>
        new() { Name = name, MimeType = "image/jpeg", Buffer = TestImages.Photo(1200, 900, seed).JpegsaveBuffer(q: 85) };

    [Fact]
    public async Task Upload_a_jpeg_in_the_images_tab_and_see_it_as_a_picture_on_the_built_shop()
    {
        var page = await admin.NewPageAsync();
        await admin.SignInAsync(page, await admin.StaffAsync());
        var token = "img" + Guid.NewGuid().ToString("N")[..8];
        var slug = $"linen-apron-{token}";

        await page.GotoAsync("/admin/products/create");
        await page.GetByLabel("Title").First.FillAsync($"Linen Apron {token}");
        await page.GetByLabel("Slug").FillAsync(slug);
        await page.GetByRole(AriaRole.Combobox, new() { Name = "Status" }).ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "Active" }).ClickAsync();
        await page.GetByRole(AriaRole.Tab, new() { Name = "Variants" }).ClickAsync();
        await page.GetByLabel("Option names").FillAsync("Size");
        foreach (var (size, price) in new[] { ("S", "2400"), ("L", "2600") })
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "Add" }).ClickAsync();
            var row = page.Locator(".RaSimpleFormIterator-line").Last;
            await row.GetByLabel("SKU").FillAsync($"{token.ToUpperInvariant()}-{size}");
            await row.GetByLabel("Variant title").FillAsync(size);
            await row.GetByLabel("Options").FillAsync($"Size={size}");
            await row.GetByLabel("Price (cents)").FillAsync(price);
            await row.GetByLabel("Initial stock").FillAsync("7");
        }
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/admin/products/[0-9a-f-]{36}$"));

        await page.GetByRole(AriaRole.Tab, new() { Name = "Images" }).ClickAsync();
        await Assertions.Expect(page.GetByText("No images yet")).ToBeVisibleAsync();
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "images tab, empty");
        await page.GetByLabel("Choose image files").SetInputFilesAsync(Jpeg("apron.jpg", 2));
        await Assertions.Expect(page.GetByText("apron.jpg: added")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Assertions.Expect(page.GetByText("Image 1 (main image)")).ToBeVisibleAsync();
        await page.GetByLabel("Alt text of image 1").FillAsync("Linen apron, front");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save alt text" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Alt text of image 1 saved." })).ToBeAttachedAsync();

        // A text file named .jpg: the browser calls it image/jpeg, the API sniffs the content and says why not.
        await page.GetByLabel("Choose image files").SetInputFilesAsync(new FilePayload { Name = "notes.jpg", MimeType = "image/jpeg", Buffer = Encoding.UTF8.GetBytes("shopping list: flour, eggs\n") });
        await Assertions.Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "notes.jpg" }))
            .ToContainTextAsync("The file's content is not a JPEG, PNG or WebP image");
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "images tab, one image and a refusal");

        var product = await (await admin.CreateClient().GetAsync($"/api/v1/products/{slug}")).ReadAsync<ProductDetail>();
        Assert.Equal(["S", "L"], product.Variants.Select(v => v.Title));
        var image = Assert.Single(product.Images);
        Assert.Equal("Linen apron, front", image.Alt);

        var root = Directory.CreateTempSubdirectory("headless-admin-shop-").FullName;
        try
        {
            var site = Path.Combine(root, "site");
            var options = new StorefrontOptions
            {
                BaseUrl = "https://shop.example",
                ManifestPath = Path.Combine(root, "manifest.json"),
                WidgetsOutputDirectory = Path.Combine(root, "widgets"),
            };
            await new SiteGenerator(new Headless.Sdk.HeadlessClient(admin.CreateClient()), options, new LocalFolderPublisher(site)).BuildAsync();
            var html = await File.ReadAllTextAsync(Path.Combine(site, "products", slug, "index.html"));
            Assert.Contains($"Linen Apron {token}", html, StringComparison.Ordinal);
            var hero = Picture().Match(html).Value;
            foreach (var format in new[] { "avif", "webp" })
            {
                var srcset = string.Join(", ", image.Sources!.Where(s => s.Format == format).Select(s => $"{s.Url} {s.Width}w"));
                Assert.Contains($"<source type=\"image/{format}\" srcset=\"{srcset}\"", hero, StringComparison.Ordinal);
            }
            Assert.Matches($"<img src=\"{Regex.Escape(image.Url)}\" [^>]*alt=\"Linen apron, front\" width=\"\\d+\" height=\"\\d+\"", hero);
            // The files the page names are served by the host.
            var avif = await admin.CreateClient().GetAsync(image.Sources!.First(s => s.Format == "avif").Url);
            Assert.Equal(HttpStatusCode.OK, avif.StatusCode);
            Assert.Equal("image/avif", avif.Content.Headers.ContentType!.MediaType);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Reorder_and_delete_by_keyboard_and_a_stale_version_is_explained()
    {
        var api = admin.Admin();
        var created = await api.CreateProductAsync(CatalogSeed.Product());
        var page = await admin.NewPageAsync();
        await admin.SignInAsync(page, await admin.StaffAsync());
        await page.GotoAsync($"/admin/products/{created.Id}");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Images" }).ClickAsync();
        await page.GetByLabel("Choose image files").SetInputFilesAsync([Jpeg("first.jpg", 3), Jpeg("second.jpg", 4)]);
        await Assertions.Expect(page.GetByText("second.jpg: added")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Assertions.Expect(page.GetByText("Image 2 ·")).ToBeVisibleAsync();

        var before = await (await api.GetAsync($"/api/v1/admin/products/{created.Id}")).ReadAsync<ProductDetail>();
        var (first, second) = (before.Images[^2].Id, before.Images[^1].Id); // appended after the seed's image given by URL
        await page.GetByRole(AriaRole.Button, new() { Name = "Move up image 2" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Image 2 moved to position 1." })).ToBeAttachedAsync();
        var moved = await (await api.GetAsync($"/api/v1/admin/products/{created.Id}")).ReadAsync<ProductDetail>();
        Assert.Equal([second, first, null], moved.Images.Select(i => i.Id));

        await page.GetByRole(AriaRole.Button, new() { Name = "Delete image 2" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Image 2 deleted." })).ToBeAttachedAsync();
        var left = await (await api.GetAsync($"/api/v1/admin/products/{created.Id}")).ReadAsync<ProductDetail>();
        Assert.Equal([second, null], left.Images.Select(i => i.Id));

        // Someone else changes the product meanwhile: the next image change is refused and explained.
        var renamed = await api.SendJsonAsync(HttpMethod.Patch, $"/api/v1/admin/products/{created.Id}", new { title = "Renamed elsewhere" }, AdminIfMatch.ETag(left.Version));
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        await page.GetByLabel("Alt text of image 1").FillAsync("Changed here");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save alt text" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Someone else changed this record" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Reload" })).ToBeVisibleAsync();
        var after = await (await api.GetAsync($"/api/v1/admin/products/{created.Id}")).ReadAsync<ProductDetail>();
        Assert.Equal("", after.Images[0].Alt);
        await page.Context.CloseAsync();
    }
}
