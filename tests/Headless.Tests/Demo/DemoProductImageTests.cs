using Headless.Api.Features.Demo;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;
using Headless.Tests.Images;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Headless.Tests.Demo;

/// <summary>A small demo catalog whose products get drawn images in the background after start.</summary>
public sealed class DemoImagesFactory : ImageApiFactory
{
    protected override bool LoadDemoCatalog => true;

    protected override bool DemoImages => true;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Headless:Catalog:DemoProductCount", "6");
    }

    public DemoProductImages Drawer() => Services.GetServices<IHostedService>().OfType<DemoProductImages>().Single();
}

public sealed class DemoProductImageTests(DemoImagesFactory api) : IClassFixture<DemoImagesFactory>
{
    [Fact]
    public async Task Each_demo_product_gets_its_own_responsive_image_and_a_restart_encodes_nothing()
    {
        _ = api.CreateClient();
        await api.Drawer().Completed.WaitAsync(TimeSpan.FromMinutes(3));

        var admin = api.Admin();
        var page = await (await admin.GetAsync("/api/v1/admin/products?limit=100")).ReadAsync<AdminProductPage>();
        Assert.Equal(6, page.Items.Count);
        var urls = new HashSet<string>();
        var versions = new Dictionary<Guid, int>();
        foreach (var summary in page.Items)
        {
            var product = await (await admin.GetAsync($"/api/v1/admin/products/{summary.Id}")).ReadAsync<ProductDetail>();
            versions[product.Id] = product.Version;
            var image = Assert.Single(product.Images);
            Assert.NotNull(image.Id);
            Assert.Equal(product.Title, image.Alt);
            Assert.Equal(["avif", "webp", "jpeg"], image.Sources!.Select(s => s.Format).Distinct());
            Assert.Equal([320, 640, DemoProductImages.TileSize], image.Sources!.Where(s => s.Format == "avif").Select(s => s.Width));
            Assert.True(urls.Add(image.Url), "each product has an image of its own");
            Assert.All(image.Sources!, s => Assert.Contains("images/products/" + s.Url[(s.Url.LastIndexOf('/') + 1)..], api.StoredFiles()));
        }

        // A second start: nothing is pending, and drawing a tile again finds its files already stored.
        var files = api.StoredFiles();
        await api.Drawer().RunAsync(CancellationToken.None);
        Assert.Equal(files, api.StoredFiles());
        var again = await (await admin.GetAsync($"/api/v1/admin/products/{page.Items[0].Id}")).ReadAsync<ProductDetail>();
        Assert.Equal(versions[page.Items[0].Id], again.Version);
    }

    [Fact]
    public void Tiles_are_stable_per_product_and_differ_between_products()
    {
        var first = DemoProductImages.Tile("linen-apron", "Linen Apron", 200);
        Assert.Equal(first, DemoProductImages.Tile("linen-apron", "Linen Apron", 200));
        Assert.NotEqual(first, DemoProductImages.Tile("cork-coaster", "Cork Coaster", 200));
        var (loader, width, height, _, _) = TestImages.Describe(first);
        Assert.StartsWith("jpegload", loader, StringComparison.Ordinal);
        Assert.Equal((200, 200), (width, height));
    }
}
