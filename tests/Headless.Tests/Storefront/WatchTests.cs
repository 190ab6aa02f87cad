using System.Diagnostics;
using Headless.Storefront.Build;
using Headless.Storefront.Rendering;

namespace Headless.Tests.Storefront;

/// <summary>`watch` follows the change feed: a stock change made through the admin API reaches the static page.</summary>
public sealed class WatchTests : IAsyncLifetime
{
    private readonly ShopFactory _shop = new();

    public Task InitializeAsync() => _shop.InitializeAsync();

    public Task DisposeAsync() => _shop.DisposeAsync();

    [Fact]
    public async Task A_product_that_sells_out_says_so_on_its_page_through_the_watch()
    {
        var options = _shop.Options();
        options.PollInterval = TimeSpan.FromMilliseconds(50);
        var generator = _shop.Generator(options: options);
        var reports = new List<BuildReport>();
        using var stop = new CancellationTokenSource();
        var watching = generator.WatchAsync(r =>
        {
            lock (reports)
            {
                reports.Add(r);
            }
        }, stop.Token);

        var product = await _shop.ProductAsync((await _shop.ListAsync(null)).First(p => p.InStock).Slug);
        var path = SitePaths.Product(product.Slug);
        await Until(() =>
        {
            lock (reports)
            {
                return reports.Count == 1;
            }
        }, "the first build");
        Assert.DoesNotContain(">Sold out</p>", _shop.File(path), StringComparison.Ordinal);

        foreach (var variant in product.Variants)
        {
            await _shop.SetStockAsync(variant.Sku, 0);
        }
        await Until(() => _shop.File(path).Contains("data-stock role=\"status\" aria-live=\"polite\">Sold out</p>", StringComparison.Ordinal), "the sold-out page");
        // The report of that rebuild follows right after its files.
        await Until(() =>
        {
            lock (reports)
            {
                return reports.Skip(1).Any(r => r.Written.Contains(path));
            }
        }, "the rebuild's report");

        await stop.CancelAsync();
        await watching;
        lock (reports)
        {
            Assert.Equal("full build", reports[0].Kind);
            Assert.All(reports.Skip(1), r => Assert.True(r.Kind.StartsWith("rebuild after", StringComparison.Ordinal) || r.Kind == "sitemaps and feed", r.Kind));
            Assert.Contains(reports, r => r.Kind == "sitemaps and feed");
        }
        // How fast (the aim: within a second) is measured by `./build.sh bench --only=storefront`, not by this test's clock.
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            // A deadline for a hung watch, not a speed claim: the suite's load can hold a rebuild for many seconds.
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(90), $"Timed out waiting for {what}.");
            await Task.Delay(20);
        }
    }
}
