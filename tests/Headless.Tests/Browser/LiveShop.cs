using System.Net;
using Headless.Api.Features.Accounts.Identity;
using Headless.Contracts.Catalog;
using Headless.Storefront;
using Headless.Storefront.Build;
using Headless.Storefront.Publishing;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Headless.Tests.Browser;

/// <summary>
/// The shop as a browser sees it: the API on Kestrel at a real 127.0.0.1 port (the in-memory test server is
/// out of a browser's reach) with the demo catalog and pricing, serving a site the generator built from that
/// API, and one headless Debian chromium shared by every browser test. Each test opens its own context
/// (fresh cookies and storage).
/// </summary>
public class LiveShop : ApiFactory, IAsyncLifetime
{
    private IPlaywright _playwright = null!;

    public LiveShop() => UseKestrel(0);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "headless-live-" + Guid.NewGuid().ToString("N")[..10]);

    public string SiteDirectory => Path.Combine(Root, "site");

    /// <summary>http://127.0.0.1:port, no trailing slash.</summary>
    public string BaseUrl { get; private set; } = "";

    public IBrowser Browser { get; private set; } = null!;

    public BuildReport Build { get; private set; } = null!;

    protected override bool LoadDemoCatalog => true;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Headless:Storefront:SiteDirectory", SiteDirectory);
        // Below the demo catalog's 200 products, so the search page's "N+ results" shows on a browse of all of them.
        builder.UseSetting("Headless:Search:TotalCap", TotalCap.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public const int TotalCap = 150;

    /// <summary>Runs before the API starts (a subclass starts the servers the API is configured to call).</summary>
    protected virtual Task BeforeStartAsync() => Task.CompletedTask;

    protected virtual ValueTask AfterStopAsync() => ValueTask.CompletedTask;

    public new async Task InitializeAsync()
    {
        await BeforeStartAsync();
        await base.InitializeAsync();
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = new Uri(address).GetLeftPart(UriPartial.Authority).Replace("[::1]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal);

        var launching = LaunchAsync();
        var options = new StorefrontOptions
        {
            BaseUrl = BaseUrl,
            ManifestPath = Path.Combine(Root, "manifest.json"),
            WidgetsOutputDirectory = Path.Combine(Root, "widgets"),
        };
        using var http = new HttpClient { BaseAddress = new Uri(BaseUrl + "/") };
        Build = await new SiteGenerator(new Headless.Sdk.HeadlessClient(http), options, new LocalFolderPublisher(SiteDirectory)).BuildAsync();
        Browser = await launching;
    }

    private async Task<IBrowser> LaunchAsync()
    {
        _playwright = await Playwright.CreateAsync();
        // Debian's chromium, never a downloaded browser; without the background-networking flags it keeps
        // dialling Google's hosts, which this machine's closed network refuses.
        return await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// <summary>A page in a fresh context; everything the page logs as an error lands in <paramref name="errors"/>.</summary>
    public async Task<IPage> NewPageAsync(List<string>? errors = null, bool javaScript = true)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseUrl, JavaScriptEnabled = javaScript });
        var page = await context.NewPageAsync();
        if (errors is not null)
        {
            page.PageError += (_, e) => errors.Add("page error: " + e);
            page.Console += (_, m) =>
            {
                if (m.Type == "error")
                {
                    errors.Add("console: " + m.Text);
                }
            };
        }
        return page;
    }

    /// <summary>Active products as the public API lists them (newest first).</summary>
    public async Task<List<ProductSummary>> ProductsAsync()
    {
        var all = new List<ProductSummary>();
        string? cursor = null;
        var client = CreateClient();
        do
        {
            var page = await (await client.GetAsync($"/api/v1/products?limit=100{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}")).ReadAsync<ProductPage>();
            all.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return all;
    }

    public async Task<ProductDetail> ProductAsync(string slug) => await (await CreateClient().GetAsync($"/api/v1/products/{slug}")).ReadAsync<ProductDetail>();

    public async Task SetPriceAsync(Guid productId, ProductVariant variant, long amount)
    {
        var response = await Admin().SendJsonAsync(HttpMethod.Patch, $"/api/v1/admin/products/{productId}/variants/{variant.Id}",
            new { price = new { amount, currency = variant.Price.Currency } }, $"\"v{variant.Version}\"");
        await response.ReadAsync<ProductVariant>();
    }

    public async Task SetStockAsync(string sku, int onHand)
    {
        var response = await Admin().SetStockAsync(sku, new { onHand, reason = "stock take" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>A customer with a confirmed email, made directly through Identity.</summary>
    public async Task<string> CustomerAsync(string password)
    {
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<HeadlessUser>>();
        var email = $"shopper-{Guid.NewGuid():N}@example.test";
        var result = await users.CreateAsync(new HeadlessUser { Email = email, EmailConfirmed = true, FirstName = "Grace" }, password);
        Assert.True(result.Succeeded, string.Join(" ", result.Errors.Select(e => e.Description)));
        return email;
    }

    public static string AxeScript => Path.Combine(RepoRoot.Path, "node_modules", "axe-core", "axe.min.js");

    public new async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
        await base.DisposeAsync();
        await AfterStopAsync();
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<LiveShop>
{
    public const string Name = "browser";
}
