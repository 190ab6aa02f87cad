using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.RegularExpressions;
using Headless.Storefront.Build;
using Headless.Storefront.Rendering;

namespace Headless.Tests.Storefront;

/// <summary>
/// Edits in a burst: the sitemaps and the feed are rewritten behind the pages, on a worker of their own, so a
/// page published while that rewrite runs does not wait for it; afterwards they show every change. And the
/// publish lag (change → page published) is recorded for the generator's /metrics.
/// </summary>
public sealed partial class StorefrontBurstTests : IAsyncLifetime
{
    private readonly ShopFactory _shop = new();

    public Task InitializeAsync() => _shop.InitializeAsync();

    public Task DisposeAsync() => _shop.DisposeAsync();

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [GeneratedRegex("<url><loc>(?<loc>[^<]+)</loc>(<lastmod>(?<lastmod>[^<]+)</lastmod>)?</url>")]
    private static partial Regex SitemapUrl();

    [Fact]
    public async Task An_edit_made_while_the_sitemaps_and_feed_are_rewritten_is_published_before_that_rewrite_finishes()
    {
        var log = new StringWriter();
        var generator = _shop.Generator(log: TextWriter.Synchronized(log));
        var reports = new List<string>();
        generator.CatalogFilesReport = r => reports.Add(r + " " + string.Join(",", r.Written));
        await generator.BuildAsync();
        Assert.Matches(@"full build costs: .*s CPU .*MiB allocated", log.ToString());
        var manifestPath = _shop.Options().ManifestPath;
        var savedByTheBuild = File.ReadAllText(manifestPath);
        var cursorOfTheBuild = Manifest.Load(manifestPath).FeedCursor;
        var rewriting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        generator.BeforeCatalogFiles = async () =>
        {
            rewriting.TrySetResult();
            await release.Task;
        };
        var listed = await _shop.ListAsync();
        var first = await _shop.ProductAsync(listed[40].Slug);
        var second = await _shop.ProductAsync(listed[50].Slug);
        var archived = await _shop.ProductAsync(listed[60].Slug);

        // The first edit's pages are published and its sitemap/feed rewrite starts, and is held there.
        await _shop.RenameAsync(first, "Burst One Apron");
        await ShopFactory.NextRebuildAsync(generator, Deadline);
        Assert.Contains("Burst One Apron", _shop.File(SitePaths.Product(first.Slug)), StringComparison.Ordinal);
        await rewriting.Task.WaitAsync(Deadline);

        // Edits arriving during that rewrite are published anyway.
        await _shop.RenameAsync(second, "Burst Two Basket");
        var report = await ShopFactory.NextRebuildAsync(generator, Deadline);
        Assert.Contains(SitePaths.Product(second.Slug), report.Written);
        Assert.Contains("Burst Two Basket", _shop.File(SitePaths.Product(second.Slug)), StringComparison.Ordinal);
        await _shop.ArchiveAsync(archived.Id);
        report = await ShopFactory.NextRebuildAsync(generator, Deadline);
        Assert.Contains(SitePaths.Product(archived.Slug), report.Deleted);
        Assert.False(_shop.Exists(SitePaths.Product(archived.Slug)));
        Assert.DoesNotContain("Burst Two Basket", _shop.File("feed.xml"), StringComparison.Ordinal);
        Assert.False(generator.CatalogFilesWrittenAsync().IsCompleted, "the rewrite is still held");
        // Nor did those polls wait to save the manifest: the held worker saves it after its rewrite.
        Assert.Equal(savedByTheBuild, File.ReadAllText(manifestPath));

        release.SetResult();
        await ShopFactory.CaughtUpAsync(generator);
        Assert.NotEqual(cursorOfTheBuild, Manifest.Load(manifestPath).FeedCursor);

        // Afterwards the sitemaps and the feed show all three changes.
        var urls = Directory.GetFiles(_shop.SiteDirectory, "sitemap-*.xml")
            .SelectMany(f => SitemapUrl().Matches(string.Concat(File.ReadAllLines(f).Select(l => l.Trim()))))
            .ToDictionary(m => m.Groups["loc"].Value, m => m.Groups["lastmod"].Value);
        foreach (var edited in new[] { first, second })
        {
            var now = await _shop.ProductAsync(edited.Slug);
            Assert.True(now.UpdatedAt > edited.UpdatedAt);
            Assert.True(now.UpdatedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) == urls[$"https://shop.example/products/{edited.Slug}/"], "the generator's log, its sitemap/feed rewrites and the manifest: " + log + string.Join("\n", reports) + " " + string.Join(",", generator.Manifest.Files.Where(f => !f.Key.EndsWith("html")).Select(f => f.Key + "=" + f.Value.Hash)));
        }
        Assert.DoesNotContain($"https://shop.example/products/{archived.Slug}/", urls.Keys);
        var feed = _shop.File("feed.xml");
        Assert.Contains("<title>Burst One Apron – ", feed, StringComparison.Ordinal);
        Assert.Contains("<title>Burst Two Basket – ", feed, StringComparison.Ordinal);
        Assert.DoesNotContain($"/products/{archived.Slug}/", feed, StringComparison.Ordinal);
        Assert.All(archived.Variants, v => Assert.DoesNotContain($"<g:id>{v.Sku}</g:id>", feed, StringComparison.Ordinal));

        // What the incremental updates left is what a full build makes: it finds nothing to write.
        Assert.Empty((await _shop.Generator().BuildAsync()).Written);
    }

    [Fact]
    public async Task The_publish_lag_metric_records_each_change_when_its_page_is_published_and_is_scraped_as_seconds()
    {
        var generator = _shop.Generator();
        var lags = new List<double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == generator.Metrics.Meter && instrument.Name == "headless.storefront.publish_lag")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            lock (lags)
            {
                lags.Add(value);
            }
        });
        listener.Start();
        using var endpoint = MetricsEndpoint.Serve(26311);

        await generator.BuildAsync();
        Assert.Empty(lags);
        var product = await _shop.ProductAsync((await _shop.ListAsync())[12].Slug);
        var before = DateTimeOffset.UtcNow;
        await _shop.RenameAsync(product, "Lagging Linen Bag");
        await ShopFactory.NextRebuildAsync(generator, Deadline);
        var waited = (DateTimeOffset.UtcNow - before).TotalSeconds;

        lock (lags)
        {
            Assert.NotEmpty(lags);
            Assert.All(lags, lag => Assert.InRange(lag, 0, waited + 1));
        }
        using var http = new HttpClient();
        var scrape = await http.GetStringAsync("http://127.0.0.1:26311/metrics");
        var count = Regex.Match(scrape, @"^headless_storefront_publish_lag_seconds_count(\{[^}]*\})? (?<n>\d+)", RegexOptions.Multiline);
        Assert.True(count.Success, scrape);
        Assert.True(int.Parse(count.Groups["n"].Value, CultureInfo.InvariantCulture) >= 1, scrape);
        Assert.Contains("headless_storefront_publish_lag_seconds_bucket", scrape, StringComparison.Ordinal);
    }
}
