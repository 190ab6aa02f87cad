using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Headless.Api.Platform.Jobs;
using Headless.Contracts.Admin;
using Headless.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Headless.Tests.AdminUi;

/// <summary>The jobs screen: running and recent jobs with progress, who started them and their counts; cancel a
/// running one; open one's own screen. A job of a kind no handler runs stays queued, so it is the test's to cancel.</summary>
[Collection(AdminBrowserCollection.Name)]
public sealed class JobsScreenTests(AdminBrowser admin)
{
    [Fact]
    public async Task Staff_see_jobs_with_progress_and_starter_cancel_a_queued_one_and_open_a_bulk_change()
    {
        var api = admin.Admin();
        var kind = "uijob" + Guid.NewGuid().ToString("N")[..8];
        Guid queued;
        await using (var conn = await admin.Db.OpenConnectionAsync())
        {
            queued = await JobStore.EnqueueAsync(conn, null, kind, null, "user:jobs-screen-test");
        }
        var product = await api.CreateProductAsync(CatalogSeed.Product());
        var bulk = await (await api.PostAsJsonAsync("/api/v1/admin/products/bulk-jobs",
            new { productIds = new[] { product.Id }, action = "set_status", status = "draft" }, Http.Json)).ReadAsync<Job>(HttpStatusCode.Accepted);

        var page = await admin.NewPageAsync();
        await admin.SignInAsync(page, await admin.StaffAsync());
        await page.GotoAsync($"/admin/jobs?filter={Uri.EscapeDataString("{\"status\":\"queued\"}")}");
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = kind });
        await Assertions.Expect(row).ToContainTextAsync("user:jobs-screen-test");
        await Assertions.Expect(row).ToContainTextAsync("0 of ?");
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "jobs list");

        // keyboard: focus the row's cancel button and press Enter
        await row.GetByRole(AriaRole.Button, new() { Name = "Cancel job" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(row).ToHaveCountAsync(0);
        Assert.Equal("cancelled", (await (await api.GetAsync($"/api/v1/admin/jobs/{queued}")).ReadAsync<Job>()).Status);

        await page.GotoAsync($"/admin/jobs?filter={Uri.EscapeDataString("{\"kind\":\"product-bulk\"}")}");
        var bulkRow = page.GetByRole(AriaRole.Row).Filter(new() { Has = page.Locator($"a[href$='/bulk/{bulk.Id}/show']") });
        await Assertions.Expect(bulkRow).ToContainTextAsync("Bulk change");
        await Assertions.Expect(bulkRow).ToContainTextAsync("succeeded"); // the list refreshes while a job runs
        await Assertions.Expect(bulkRow).ToContainTextAsync("1 of 1");
        await bulkRow.GetByRole(AriaRole.Link, new() { Name = "Open" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/admin/bulk/{bulk.Id}/show$"));
        await page.Context.CloseAsync();
    }
}
