using Headless.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Headless.Tests.AdminUi;

/// <summary>Every main screen opens on the demo shop without a script error or an error notice, and its
/// main heading or table shows. A screenshot of each is left in the temp folder (admin-screens/) for
/// people reviewing the screens by eye.</summary>
[Collection(AdminBrowserCollection.Name)]
public sealed class ScreenTourTests(AdminBrowser admin)
{
    public static TheoryData<string, string> Screens => new()
    {
        { "overview", "/admin/" },
        { "products", "/admin/products" },
        { "inventory", "/admin/inventory" },
        { "imports", "/admin/imports" },
        { "jobs", "/admin/jobs" },
        { "product-images", "/admin/products/{id}" },
        { "orders", "/admin/orders" },
        { "customers", "/admin/customers" },
        { "audit", "/admin/audit" },
    };

    [Theory]
    [MemberData(nameof(Screens))]
    public async Task A_main_screen_opens_without_errors(string name, string path)
    {
        var errors = new List<string>();
        var page = await admin.NewPageAsync(errors);
        await admin.SignInAsync(page, await admin.StaffAsync());
        errors.Clear(); // the sign-in screen's session probe answers 401 before signing in, as it should
        if (path.Contains("{id}", StringComparison.Ordinal))
        {
            var product = await admin.Admin().CreateProductAsync(CatalogSeed.Product());
            await page.GotoAsync(path.Replace("{id}", product.Id.ToString(), StringComparison.Ordinal));
            await page.GetByRole(AriaRole.Tab, new() { Name = "Images" }).ClickAsync();
        }
        else
        {
            await page.GotoAsync(path);
        }
        await Assertions.Expect(page.Locator(".RaLayout-content")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".MuiCircularProgress-root")).ToHaveCountAsync(0);
        var folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "admin-screens")).FullName;
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, name + ".png"), FullPage = true });

        await Assertions.Expect(page.Locator(".MuiSnackbarContent-root, .MuiAlert-standardError")).ToHaveCountAsync(0);
        // "Failed to load resource" is left out: the demo catalog's image URLs are the storefront's, which this host does not serve.
        var scriptErrors = errors.Where(e => !e.Contains("Failed to load resource", StringComparison.Ordinal)).ToList();
        Assert.True(scriptErrors.Count == 0, string.Join("\n", scriptErrors));
        await page.Context.CloseAsync();
    }
}
