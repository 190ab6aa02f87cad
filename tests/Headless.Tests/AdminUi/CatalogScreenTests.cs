using System.Text.RegularExpressions;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;
using Headless.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Headless.Tests.AdminUi;

[Collection(AdminBrowserCollection.Name)]
public sealed class CatalogScreenTests(AdminBrowser admin)
{
    [Fact]
    public async Task Create_a_product_with_two_variants_and_find_it_in_the_list_and_the_shop()
    {
        var page = await admin.NewPageAsync();
        await admin.SignInAsync(page, await admin.StaffAsync());
        var token = "ui" + Guid.NewGuid().ToString("N")[..8];

        await page.GotoAsync("/admin/products/create");
        await page.GetByLabel("Title").First.FillAsync($"Linen Apron {token}");
        await page.GetByLabel("Slug").FillAsync($"linen-apron-{token}");
        await page.GetByRole(AriaRole.Combobox, new() { Name = "Status" }).ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "Active" }).ClickAsync();
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "product form");
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

        var shop = await (await admin.CreateClient().GetAsync($"/api/v1/products/linen-apron-{token}")).ReadAsync<ProductDetail>();
        Assert.Equal(["S", "L"], shop.Variants.Select(v => v.Title));
        Assert.Equal([2400L, 2600L], shop.Variants.Select(v => v.Price.Amount));
        Assert.Equal(["Size"], shop.OptionNames!);

        await page.GotoAsync($"/admin/products?filter={Uri.EscapeDataString($"{{\"q\":\"{token}\"}}")}");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = $"Linen Apron {token}" })).ToBeVisibleAsync();
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "product list");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Bulk_price_change_from_the_list_runs_as_a_job()
    {
        var token = "uib" + Guid.NewGuid().ToString("N")[..8];
        var api = admin.Admin();
        var created = new List<ProductDetail>();
        foreach (var price in new[] { 1000L, 2000L, 3000L })
        {
            created.Add(await api.CreateProductAsync(CatalogSeed.Product(variants: CatalogSeed.Variant(price: price)) with { Title = $"Bulk Mug {token} {price}" }));
        }
        var page = await admin.NewPageAsync();
        await admin.SignInAsync(page, await admin.StaffAsync());
        await page.GotoAsync($"/admin/products?filter={Uri.EscapeDataString($"{{\"q\":\"{token}\"}}")}");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = token })).ToHaveCountAsync(3);
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "product list with filter");
        // select two rows, then widen to every product matching the filter in the dialog
        await page.GetByRole(AriaRole.Checkbox, new() { Name = $"Select Bulk Mug {token} 1000" }).CheckAsync();
        await page.GetByRole(AriaRole.Checkbox, new() { Name = $"Select Bulk Mug {token} 2000" }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Bulk change…" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Change 2 selected products" })).ToBeVisibleAsync();
        await page.GetByLabel("All products matching the list's filters").CheckAsync();
        await page.GetByLabel("Percent (e.g. -10)").FillAsync("-10");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/admin/bulk/[0-9a-f-]{36}/show$"));
        await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "succeeded: 3 of 3" })).ToBeVisibleAsync(new() { Timeout = 60_000 });

        foreach (var (product, expected) in created.Zip(new[] { 900L, 1800L, 2700L }))
        {
            var stored = await (await api.GetAsync($"/api/v1/admin/products/{product.Id}")).ReadAsync<ProductDetail>();
            Assert.Equal(expected, stored.Variants[0].Price.Amount);
        }
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Adjust_stock_with_a_reason_and_see_it_in_the_ledger()
    {
        var api = admin.Admin();
        var product = await api.CreateProductAsync(CatalogSeed.Product(variants: CatalogSeed.Variant(stock: 4)));
        var sku = product.Variants[0].Sku;
        var page = await admin.NewPageAsync();
        var staff = await admin.StaffAsync();
        await admin.SignInAsync(page, staff);

        await page.GotoAsync($"/admin/inventory?filter={Uri.EscapeDataString($"{{\"q\":\"{sku}\",\"lowStock\":true}}")}");
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = sku });
        await Assertions.Expect(row).ToBeVisibleAsync();
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "inventory list");
        await row.GetByRole(AriaRole.Button, new() { Name = "Adjust" }).ClickAsync();
        await page.GetByLabel("Change (e.g. 12 or -3)").FillAsync("12");
        await page.GetByLabel("Reason").FillAsync("delivery");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByText($"Stock of {sku} changed by 12.")).ToBeVisibleAsync();

        await page.GotoAsync($"/admin/inventory/{sku}");
        var ledger = page.GetByRole(AriaRole.Region, new() { Name = "Stock ledger" });
        await Assertions.Expect(ledger.GetByRole(AriaRole.Row).Filter(new() { HasText = "delivery" })).ToContainTextAsync("+12");
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "inventory edit and ledger");
        var level = await (await api.GetAsync($"/api/v1/admin/inventory/{sku}")).ReadAsync<StockLevel>();
        Assert.Equal(16, level.OnHand);

        var entry = await AuditLogScreen.FindAsync(page, sku, "inventory.changed", $"user:{staff.Id}");
        await AuditLogScreen.ExpectChangeAsync(entry, "onHand", "4", "16");
        await Assertions.Expect(AuditLogScreen.Field(entry, "reason").Locator("ins")).ToHaveTextAsync("delivery");
        await page.Context.CloseAsync();
    }
}
