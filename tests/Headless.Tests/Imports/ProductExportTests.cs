using System.Net;
using System.Text;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using static Headless.Tests.Imports.ShopifyCsv;

namespace Headless.Tests.Imports;

/// <summary>The CSV export, and that it imports back to the same catalog.</summary>
public sealed class ProductExportTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static string RichCatalog() => File(
    [
        Row(("Handle", "tee"), ("Title", "Organic Tee, \"classic\""), ("Body (HTML)", "<p>Soft cotton.</p>\n<ul><li>Fair, organic</li></ul>"), ("Vendor", "Tee Co"),
            ("Type", "Shirts"), ("Tags", "organic, cotton"), ("Option1 Name", "Size"), ("Option1 Value", "S"), ("Option2 Name", "Colour"), ("Option2 Value", "White"),
            ("Option3 Name", "Fit"), ("Option3 Value", "Slim"), ("Variant SKU", "TEE-S-W-SL"), ("Variant Grams", "180"), ("Variant Inventory Qty", "4"),
            ("Variant Price", "19.90"), ("Variant Compare At Price", "25.00"), ("Image Src", "https://cdn.example.com/tee-front.jpg"), ("Image Alt Text", "Front, with a comma, here"),
            ("SEO Title", "Organic tee"), ("SEO Description", "Soft, \"fair\" cotton"), ("Status", "active")),
        Row(("Handle", "tee"), ("Option1 Value", "M"), ("Option2 Value", "White"), ("Option3 Value", "Slim"), ("Variant SKU", "TEE-M-W-SL"), ("Variant Inventory Qty", "0"),
            ("Variant Price", "19.90"), ("Image Src", "https://cdn.example.com/tee-back.jpg"), ("Image Alt Text", "Back")),
        Row(("Handle", "tee"), ("Image Src", "https://cdn.example.com/tee-detail.jpg"), ("Image Alt Text", "")),
        Row(("Handle", "old-mug"), ("Title", "Old Mug"), ("Variant SKU", "MUG-OLD"), ("Variant Price", "8"), ("Status", "archived")),
        Row(("Handle", "new-candle"), ("Title", "Candle"), ("Body (HTML)", "Plain words only"), ("Variant SKU", "CANDLE"), ("Variant Price", "12.00"), ("Variant Inventory Qty", "25"), ("Status", "draft")),
    ]);

    [Fact]
    public async Task The_export_is_a_shopify_csv_of_every_product_sent_as_an_attachment()
    {
        var admin = api.Admin();
        var seeded = await ImportAsync(admin, RichCatalog());
        Assert.True(seeded.Status == "succeeded", string.Join("; ", seeded.Errors.Select(e => $"{e.Row} {e.Column}: {e.Message}")));

        var response = await admin.GetAsync("/api/v1/admin/exports/products");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("attachment; filename=\"products-", response.Content.Headers.ContentDisposition?.ToString() ?? response.Headers.GetValues("Content-Disposition").First());
        var csv = await response.Content.ReadAsStringAsync();
        Assert.StartsWith(string.Join(',', Header), csv);
        Assert.Contains("old-mug,Old Mug,", csv);
        Assert.Contains(",archived\n", csv);
        Assert.Contains("\"Organic Tee, \"\"classic\"\"\"", csv);
        Assert.Contains("tee,,,,,,,,,,,,,,,,,,https://cdn.example.com/tee-detail.jpg,3,,,,", csv);
    }

    [Fact]
    public async Task An_export_imported_into_an_empty_catalog_exports_byte_identical()
    {
        var admin = api.Admin();
        var seeded = await ImportAsync(admin, RichCatalog());
        Assert.True(seeded.Status == "succeeded", string.Join("; ", seeded.Errors.Select(e => $"{e.Row} {e.Column}: {e.Message}")));
        var first = await (await admin.GetAsync("/api/v1/admin/exports/products")).Content.ReadAsByteArrayAsync();

        await using var empty = new ApiFactory();
        await empty.InitializeAsync();
        var job = await ImportAsync(empty.Admin(), Encoding.UTF8.GetString(first));
        Assert.True(job.Status == "succeeded", string.Join("; ", job.Errors.Select(e => $"{e.Row} {e.Column}: {e.Message}")));
        var second = await (await empty.Admin().GetAsync("/api/v1/admin/exports/products")).Content.ReadAsByteArrayAsync();

        Assert.Equal(Encoding.UTF8.GetString(first), Encoding.UTF8.GetString(second));
    }
}

/// <summary>The size limit, set small here: the file is refused before a job exists.</summary>
public sealed class ProductImportLimitTests(ProductImportLimitTests.SmallLimitApi api) : IClassFixture<ProductImportLimitTests.SmallLimitApi>
{
    public sealed class SmallLimitApi : ApiFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Headless:Imports:MaxFileBytes", "4096");
        }
    }

    [Fact]
    public async Task An_oversized_file_is_a_413_and_no_job_is_queued()
    {
        var rows = Enumerable.Range(0, 200).Select(i => Row(("Handle", $"p-{i}"), ("Title", "Product"), ("Variant SKU", $"SKU-{i}"), ("Variant Price", "1.00")));
        var response = await PostAsync(api.Admin(), Encoding.UTF8.GetBytes(File(rows)));

        var problem = await response.ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("0 MB", problem["detail"]!.GetValue<string>());
        await using var conn = await api.Db.OpenConnectionAsync();
        Assert.Equal(0L, await Dapper.SqlMapper.ExecuteScalarAsync<long>(conn, "select count(*) from jobs"));
    }
}
