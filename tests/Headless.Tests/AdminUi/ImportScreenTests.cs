using System.Text;
using Dapper;
using Microsoft.Playwright;
using static Headless.Tests.Imports.ShopifyCsv;

namespace Headless.Tests.AdminUi;

/// <summary>The imports screen in chromium: a bad file shows its cells, a good one is applied. The products list
/// screen belongs to adm-catalog and is not on this branch, so the imported products are checked in the database.</summary>
[Collection(AdminBrowserCollection.Name)]
public sealed class ImportScreenTests(AdminBrowser admin)
{
    [Fact]
    public async Task Import_a_csv_see_its_bad_cells_then_import_it_fixed_and_find_its_products()
    {
        var page = await admin.NewPageAsync();
        await admin.SignInAsync(page, await admin.StaffAsync());
        await page.GotoAsync("/admin/imports");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Choose CSV file" })).ToBeVisibleAsync();
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "imports list");

        string Csv(string price) => File(
        [
            Row(("Handle", "ui-beeswax-wrap"), ("Title", "Beeswax Wrap"), ("Option1 Name", "Size"), ("Option1 Value", "S"), ("Variant SKU", "UI-WRAP-S"), ("Variant Price", "9.00")),
            Row(("Handle", "ui-beeswax-wrap"), ("Option1 Value", "L"), ("Variant SKU", "UI-WRAP-L"), ("Variant Price", price)),
        ]);

        // A bad price: the job fails, the cell is named, nothing is written.
        await page.Locator("#csv-file").SetInputFilesAsync(new FilePayload { Name = "bad.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(Csv("12,00")) });
        await Assertions.Expect(page.GetByTestId("import-status")).ToHaveTextAsync("failed", new() { Timeout = 30_000 });
        var problem = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Variant Price" });
        await Assertions.Expect(problem).ToContainTextAsync("3");
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "failed import");

        // Fixed: applied, and the products exist.
        await page.GotoAsync("/admin/imports");
        await page.Locator("#csv-file").SetInputFilesAsync(new FilePayload { Name = "good.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(Csv("12.00")) });
        await Assertions.Expect(page.GetByTestId("import-status")).ToHaveTextAsync("succeeded", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByText("Created 1")).ToBeVisibleAsync();

        await using var conn = await admin.Db.OpenConnectionAsync();
        Assert.Equal(["UI-WRAP-S", "UI-WRAP-L"], await conn.QueryAsync<string>(
            "select v.sku from variants v join products p on p.id = v.product_id where p.slug = 'ui-beeswax-wrap' order by v.position"));
    }
}
