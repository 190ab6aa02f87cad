using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Headless.Sdk;
using Headless.Storefront.Catalog;
using Headless.Storefront.Publishing;
using Headless.Storefront.Rendering;
using Headless.Storefront.Widgets;

namespace Headless.Storefront.Build;

/// <summary>What one build or rebuild did.</summary>
public sealed record BuildReport(string Kind, int Products, int Rendered, int HtmlPages, IReadOnlyList<string> Written, IReadOnlyList<string> Deleted, TimeSpan Elapsed)
{
    /// <summary>The process's collections, GC pauses and allocations while it ran (incremental work only; watch logs them).</summary>
    public RuntimeCost? Runtime { get; init; }

    /// <summary>A sitemaps and feed rewrite: the products whose feed items it rendered (the others' were reused).</summary>
    public int? FeedProductsRendered { get; init; }

    /// <summary>A sitemaps and feed rewrite: wall time per stage (watch logs it).</summary>
    public string? Timings { get; init; }

    public double PagesPerSecond => HtmlPages / Math.Max(Elapsed.TotalSeconds, 1e-6);

    public override string ToString() =>
        $"{Kind}: {Products:N0} products, rendered {Rendered:N0} files ({HtmlPages:N0} pages, {PagesPerSecond:N0} pages/s), wrote {Written.Count:N0}, removed {Deleted.Count:N0}, unchanged {Rendered - Written.Count:N0}, in {Elapsed.TotalMilliseconds:N0} ms"
        + (FeedProductsRendered is { } feed ? $", feed items rendered for {feed:N0} products (the rest reused)" : "");
}

/// <summary>
/// The pipeline: catalog in (through the API), pages out, published only where their content hash changed.
/// A full build renders everything; <see cref="ApplyAsync"/> re-renders only what a set of change-feed
/// events touches (the product page, the listing pages it sits on or shifted, home) and removes pages of
/// products no longer for sale; the sitemaps and the feed follow on a worker of their own, behind the pages.
/// </summary>
public sealed class SiteGenerator
{
    private readonly CatalogReader _reader;
    private readonly StorefrontOptions _options;
    private readonly ISitePublisher _publisher;
    private readonly TextWriter _log;
    private readonly Manifest _manifest;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private CatalogSnapshot? _catalog;
    private SiteRenderer? _renderer;
    private Dictionary<Guid, List<ProductDetail>> _listings = [];

    public SiteGenerator(IHeadlessClient client, StorefrontOptions options, ISitePublisher publisher, TextWriter? log = null)
    {
        _reader = new CatalogReader(client, options);
        _options = options;
        _publisher = publisher;
        _log = log ?? TextWriter.Null;
        _manifest = Manifest.Load(options.ManifestPath);
        // A manifest without its files (the folder was wiped) would make the build skip pages it thinks are there.
        if (publisher is LocalFolderPublisher local && !File.Exists(Path.Combine(local.Directory, "index.html")))
        {
            _manifest.Files.Clear();
        }
    }

    public Manifest Manifest => _manifest;

    /// <summary>Shows a progress bar on stderr during full builds.</summary>
    public ProgressBar? Progress { get; set; }

    // ---- full build ----------------------------------------------------------------------------------

    public async Task<BuildReport> BuildAsync(CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            return await FullBuildAsync("full build", ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<BuildReport> FullBuildAsync(string kind, CancellationToken ct)
    {
        await DrainCatalogFilesAsync();
        var watch = Stopwatch.StartNew();
        // The feed position first: whatever changes while we read the catalog is applied again afterwards.
        var (_, cursor) = await _reader.ChangesAsync(_manifest.FeedCursor, ct);

        var theme = Theme.Load(_options.ThemeDirectory);
        var assets = new List<(string Logical, string Path, byte[] Content)>(theme.Assets());
        foreach (var (logical, content) in WidgetBundler.Bundle(_options, _log))
        {
            assets.Add((logical, "assets/" + Theme.Fingerprint(logical, content), content));
        }
        var renderer = new SiteRenderer(theme, _options, assets.ToDictionary(a => a.Logical, a => "/" + a.Path));
        var catalog = new CatalogSnapshot(await _reader.CategoriesAsync(ct));
        renderer.UseCatalog(catalog);

        var old = _manifest.Files;
        var run = new Run(old);
        await run.EmitAsync(assets.Select(a => new RenderedFile(a.Path, a.Content, [])), _publisher, ct);

        // Product pages while the next page of the catalog is on its way.
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.Parallelism, CancellationToken = ct };
        var total = 0L;
        var timings = new BuildTimings();
        timings.Lap("setup");
        // Each batch is written while the next one renders: the file system's work (a folder, a file and a
        // rename per page, all kernel time) overlaps the rendering instead of following it.
        var writing = Task.CompletedTask;
        await using (var pages = _reader.ProductPagesAsync(ct).GetAsyncEnumerator(ct))
        {
            while (await pages.MoveNextAsync())
            {
                timings.Lap("waiting for the API");
                var page = pages.Current;
                var files = new RenderedFile[page.Count];
                Parallel.For(0, page.Count, parallel, i =>
                {
                    catalog.Set(page[i]);
                    files[i] = renderer.ProductPage(page[i]);
                });
                timings.Lap("rendering products");
                await writing;
                timings.Lap("waiting for writes");
                writing = Task.Run(() => run.EmitAsync(files, _publisher, ct, isHtml: true), ct);
                total = Math.Max(total, _reader.LastTotal ?? 0);
                Progress?.Report(catalog.Products.Count, Math.Max(total, catalog.Products.Count), "products");
            }
        }

        var listings = catalog.Listings();
        // The feed and the sitemaps are made by one thread each: beside the listing pages, not after them.
        var catalogFiles = Task.Run(() => (IReadOnlyList<RenderedFile>)[renderer.Robots(), .. renderer.Sitemaps(listings.ToDictionary(l => l.Key, l => l.Value.Count)), renderer.Feed()], ct);
        // Listing pages one by one (not category by category: the top-level categories hold most of the pages).
        var listingPages = catalog.Categories.Values
            .SelectMany(c => Enumerable.Range(1, renderer.PageCount(listings[c.Id].Count)).Select(n => (Category: c, Page: n)))
            .ToList();
        foreach (var batch in listingPages.Chunk(Math.Max(_options.FetchPageSize, 1)))
        {
            var files = new RenderedFile[batch.Length];
            Parallel.For(0, batch.Length, parallel, i => files[i] = renderer.ListingPages(batch[i].Category, listings[batch[i].Category.Id], batch[i].Page, batch[i].Page).Single());
            await writing;
            writing = Task.Run(() => run.EmitAsync(files, _publisher, ct, isHtml: true), ct);
        }
        await run.EmitAsync([renderer.Home(listings), .. renderer.ShellPages()], _publisher, ct, isHtml: true);
        await writing;
        timings.Lap("listings, home, shells");
        await run.EmitAsync(await catalogFiles, _publisher, ct);
        timings.Lap("sitemaps, feed");

        var deleted = old.Keys.Where(k => !run.Files.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        await _publisher.DeleteAsync(deleted, ct);
        _manifest.Files = run.Files;
        _manifest.FeedCursor = cursor;
        _manifest.Save(_options.ManifestPath);
        timings.Lap("manifest");
        _log.WriteLine($"{kind} timings: {timings}");
        _log.WriteLine($"{kind} costs: {timings.Costs()}");
        _catalog = catalog;
        _renderer = renderer;
        _listings = listings;
        var written = run.Written.Order(StringComparer.Ordinal).ToList();
        await _publisher.CompleteAsync([.. written.Where(IsPage), .. deleted], ct);
        return new BuildReport(kind, catalog.Products.Count, run.Rendered, run.HtmlPages, written, deleted, watch.Elapsed);
    }

    private static bool IsPage(string path) => !path.StartsWith("assets/", StringComparison.Ordinal);

    // ---- incremental ---------------------------------------------------------------------------------

    /// <summary>Reads the change feed from where the last build left it and applies what it says; null when nothing changed.</summary>
    public async Task<BuildReport?> PollAsync(CancellationToken ct = default)
    {
        var (changes, cursor) = await _reader.ChangesAsync(_manifest.FeedCursor, ct);
        if (changes.Count == 0)
        {
            _manifest.FeedCursor = cursor;
            return null;
        }
        // The manifest (tens of MB at 100,000 products) is not saved here but by the sitemap/feed worker after
        // its rewrite, with this cursor: the next poll, and so the next edit's page, does not wait for it.
        return await ApplyChangesAsync(changes, cursor, ct);
    }

    /// <summary>Re-renders what the changes touch; a category change or a catalog load rebuilds everything
    /// (every page shows the category navigation), still writing only files whose content changed.</summary>
    public Task<BuildReport> ApplyAsync(IReadOnlyList<CatalogChange> changes, CancellationToken ct = default) => ApplyChangesAsync(changes, null, ct);

    private async Task<BuildReport> ApplyChangesAsync(IReadOnlyList<CatalogChange> changes, string? cursor, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (_catalog is null || _renderer is null || changes.Any(c => c.EntityType is "category" or "catalog"))
            {
                // A full build reads the feed's end itself and saves the manifest.
                return await FullBuildAsync("rebuild", ct);
            }
            return await IncrementalAsync(changes, cursor, _catalog, _renderer, ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<BuildReport> IncrementalAsync(IReadOnlyList<CatalogChange> changes, string? cursor, CatalogSnapshot catalog, SiteRenderer renderer, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var runtime = RuntimeCost.Now();
        var ids = changes.Where(c => c.EntityType == "product").Select(c => Guid.Parse(c.EntityId)).Distinct().ToList();
        var fetched = new ConcurrentDictionary<Guid, ProductDetail?>();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
            async (id, token) => fetched[id] = await _reader.ProductAsync(id, token));

        var run = new Run(_manifest.Files, incremental: true);
        var toDelete = new HashSet<string>(StringComparer.Ordinal);
        var productPages = new List<RenderedFile>();
        var listingPages = new Dictionary<Guid, SortedSet<int>>();
        var pageCounts = new Dictionary<Guid, int>();
        foreach (var id in ids)
        {
            var before = catalog.Products.GetValueOrDefault(id);
            var after = fetched[id];
            var beforeCats = before is null ? [] : catalog.ListedIn(before);
            var afterCats = after is null ? [] : catalog.ListedIn(after);
            if (before is not null && (after is null || after.Slug != before.Slug))
            {
                toDelete.Add(SitePaths.Product(before.Slug));
            }
            if (after is null)
            {
                catalog.Remove(id);
            }
            else
            {
                catalog.Set(after);
                productPages.Add(renderer.ProductPage(after));
            }
            foreach (var categoryId in beforeCats.Union(afterCats))
            {
                var list = _listings[categoryId];
                pageCounts.TryAdd(categoryId, renderer.PageCount(list.Count));
                var oldIndex = beforeCats.Contains(categoryId) ? list.FindIndex(p => p.Id == id) : -1;
                if (oldIndex >= 0)
                {
                    list.RemoveAt(oldIndex);
                }
                var newIndex = -1;
                if (after is not null && afterCats.Contains(categoryId))
                {
                    var at = list.BinarySearch(after, Comparer<ProductDetail>.Create(CatalogSnapshot.ListingOrder));
                    newIndex = at < 0 ? ~at : at;
                    list.Insert(newIndex, after);
                }
                var pages = listingPages.TryGetValue(categoryId, out var set) ? set : listingPages[categoryId] = [];
                if (oldIndex == newIndex)
                {
                    pages.Add((newIndex / _options.PageSize) + 1);
                }
                else
                {
                    // Everything from the first moved position on shifts by one.
                    var from = (Math.Min(oldIndex < 0 ? int.MaxValue : oldIndex, newIndex < 0 ? int.MaxValue : newIndex) / _options.PageSize) + 1;
                    for (var n = from; n <= renderer.PageCount(list.Count); n++)
                    {
                        pages.Add(n);
                    }
                }
            }
        }
        var files = new List<RenderedFile>(productPages);
        foreach (var (categoryId, pages) in listingPages)
        {
            var category = catalog.Categories[categoryId];
            var list = _listings[categoryId];
            var count = renderer.PageCount(list.Count);
            foreach (var n in pages.Where(n => n <= count))
            {
                files.AddRange(renderer.ListingPages(category, list, n, n));
            }
            for (var n = count + 1; n <= pageCounts[categoryId]; n++)
            {
                toDelete.Add(SitePaths.Category(category.Slug, n));
            }
        }
        files.Add(renderer.Home(_listings));
        // Pages only: the sitemaps and the feed follow behind, so a page never waits for them.
        await run.EmitAsync(files, _publisher, ct, isHtml: true);
        var deleted = toDelete.Where(_manifest.Files.ContainsKey).Order(StringComparer.Ordinal).ToList();
        await _publisher.DeleteAsync(deleted, ct);
        foreach (var path in deleted)
        {
            _manifest.Files.TryRemove(path, out _);
        }
        var written = run.Written.Order(StringComparer.Ordinal).ToList();
        await _publisher.CompleteAsync([.. written, .. deleted], ct);
        var published = DateTimeOffset.UtcNow;
        foreach (var change in changes.Where(c => c.EntityType == "product"))
        {
            Metrics.Published(change.OccurredAt, published);
        }
        if (cursor is not null)
        {
            _manifest.FeedCursor = cursor;
        }
        QueueCatalogFiles(renderer, catalog);
        return new BuildReport($"rebuild after {changes.Count} change(s)", catalog.Products.Count, run.Rendered, run.HtmlPages, written, deleted, watch.Elapsed)
        {
            Runtime = RuntimeCost.Now().Since(runtime),
        };
    }

    // ---- sitemaps and feed, behind the pages -----------------------------------------------------------

    /// <summary>
    /// The catalog's state for the sitemaps and the feed, taken under the gate. Rewriting them at 100,000 products
    /// takes seconds (the feed has an item per variant), longer than an edit may wait, so they are rewritten on a
    /// worker of their own while the next changes' pages are published. Snapshots coalesce: a burst of edits
    /// leads to one rewrite after the running one, from the newest catalog, not one per edit.
    /// </summary>
    private sealed record CatalogFilesSnapshot(SiteRenderer Renderer, ProductDetail[] Products, Dictionary<Guid, int> ListingSizes);

    private readonly Lock _catalogFilesLock = new();
    private CatalogFilesSnapshot? _pendingCatalogFiles;
    private bool _catalogFilesRunning;
    private Task _catalogFilesWorker = Task.CompletedTask;

    /// <summary>Runs before each rewrite of the sitemaps and the feed (a test holds it to prove pages do not wait).</summary>
    internal Func<Task>? BeforeCatalogFiles { get; set; }

    /// <summary>Reports each background rewrite of the sitemaps and the feed (watch prints them).</summary>
    public Action<BuildReport>? CatalogFilesReport { get; set; }

    /// <summary>The publish lag and the background rewrites, for the generator's /metrics.</summary>
    public StorefrontMetrics Metrics { get; } = new();

    private void QueueCatalogFiles(SiteRenderer renderer, CatalogSnapshot catalog)
    {
        // A reference copy (milliseconds at 100,000 products); the id-order sort happens on the worker.
        var snapshot = new CatalogFilesSnapshot(renderer, [.. catalog.Products.Values], _listings.ToDictionary(l => l.Key, l => l.Value.Count));
        lock (_catalogFilesLock)
        {
            _pendingCatalogFiles = snapshot;
            // The flag, not the task's state: a worker that found nothing more to do ends under the lock.
            if (!_catalogFilesRunning)
            {
                _catalogFilesRunning = true;
                _catalogFilesWorker = Task.Run(CatalogFilesLoopAsync);
            }
        }
    }

    /// <summary>Completes when the sitemaps and the feed show every change applied so far.</summary>
    public Task CatalogFilesWrittenAsync()
    {
        lock (_catalogFilesLock)
        {
            return _catalogFilesWorker;
        }
    }

    private async Task CatalogFilesLoopAsync()
    {
        while (true)
        {
            CatalogFilesSnapshot? snapshot;
            lock (_catalogFilesLock)
            {
                snapshot = _pendingCatalogFiles;
                _pendingCatalogFiles = null;
                if (snapshot is null)
                {
                    _catalogFilesRunning = false;
                    return;
                }
            }
            try
            {
                if (BeforeCatalogFiles is { } hold)
                {
                    await hold();
                }
                CatalogFilesReport?.Invoke(await WriteCatalogFilesAsync(snapshot));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or HttpRequestException or Amazon.Runtime.AmazonServiceException)
            {
                // The manifest keeps the old hashes, so the next rewrite (or full build) writes them again.
                _log.WriteLine($"sitemaps and feed: {e.Message} (written again with the next change)");
            }
        }
    }

    private async Task<BuildReport> WriteCatalogFilesAsync(CatalogFilesSnapshot snapshot)
    {
        var watch = Stopwatch.StartNew();
        var runtime = RuntimeCost.Now();
        var timings = new BuildTimings();
        var byId = snapshot.Products;
        Array.Sort(byId, (a, b) => a.Id.CompareTo(b.Id));
        var run = new Run(_manifest.Files, incremental: true);
        var sitemaps = snapshot.Renderer.Sitemaps(snapshot.ListingSizes, byId).ToList();
        timings.Lap("sitemaps");
        var feed = snapshot.Renderer.Feed(byId);
        timings.Lap("feed");
        await run.EmitAsync([.. sitemaps, feed], _publisher, CancellationToken.None);
        timings.Lap("hash and write");
        // Sitemap files beyond the new last one.
        var stale = _manifest.Files.Keys.Where(k => k.StartsWith("sitemap-", StringComparison.Ordinal) && sitemaps.All(s => s.Path != k)).Order(StringComparer.Ordinal).ToList();
        await _publisher.DeleteAsync(stale, CancellationToken.None);
        foreach (var path in stale)
        {
            _manifest.Files.TryRemove(path, out _);
        }
        var written = run.Written.Order(StringComparer.Ordinal).ToList();
        await _publisher.CompleteAsync([.. written, .. stale], CancellationToken.None);
        timings.Lap("publish");
        _manifest.Save(_options.ManifestPath);
        timings.Lap("manifest");
        Metrics.CatalogFilesRewritten(watch.Elapsed);
        return new BuildReport("sitemaps and feed", byId.Length, run.Rendered, 0, written, stale, watch.Elapsed)
        {
            Runtime = RuntimeCost.Now().Since(runtime),
            FeedProductsRendered = snapshot.Renderer.FeedProductsRendered,
            Timings = timings.ToString(),
        };
    }

    /// <summary>Waits for a rewrite in progress and drops a queued one: a full build is about to write them all.</summary>
    private async Task DrainCatalogFilesAsync()
    {
        Task worker;
        lock (_catalogFilesLock)
        {
            _pendingCatalogFiles = null;
            worker = _catalogFilesWorker;
        }
        await worker;
    }

    // ---- watch ---------------------------------------------------------------------------------------

    /// <summary>A full build, then follows the change feed until cancelled. Failures (the API restarting) are
    /// reported and retried from the same feed position.</summary>
    public async Task WatchAsync(Action<BuildReport> report, CancellationToken ct)
    {
        CatalogFilesReport ??= report;
        report(await BuildAsync(ct));
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (await PollAsync(ct) is { } done)
                {
                    report(done);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is HttpRequestException or ApiException or IOException)
            {
                _log.WriteLine($"watch: {e.Message} (retrying)");
            }
            try
            {
                await Task.Delay(_options.PollInterval, ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        await CatalogFilesWrittenAsync();
    }

    /// <summary>One build's bookkeeping: the new manifest entries, what was written, counts.</summary>
    private sealed class Run(ConcurrentDictionary<string, ManifestEntry> old, bool incremental = false)
    {
        private int _rendered;
        private int _html;

        public ConcurrentDictionary<string, ManifestEntry> Files { get; } = incremental ? old : new(StringComparer.Ordinal);
        public ConcurrentBag<string> Written { get; } = [];
        public int Rendered => _rendered;
        public int HtmlPages => _html;

        public async Task EmitAsync(IEnumerable<RenderedFile> files, ISitePublisher publisher, CancellationToken ct, bool isHtml = false)
        {
            var changed = new ConcurrentBag<(string, byte[])>();
            Parallel.ForEach(files, file =>
            {
                var hash = Convert.ToHexStringLower(SHA256.HashData(file.Content).AsSpan(0, 16));
                var unchanged = old.TryGetValue(file.Path, out var before) && before.Hash == hash;
                Files[file.Path] = new ManifestEntry(hash, [.. file.Deps]);
                Interlocked.Increment(ref _rendered);
                if (isHtml)
                {
                    Interlocked.Increment(ref _html);
                }
                if (!unchanged)
                {
                    changed.Add((file.Path, file.Content));
                    Written.Add(file.Path);
                }
            });
            if (!changed.IsEmpty)
            {
                await publisher.PutAsync([.. changed], ct);
            }
        }
    }
}

/// <summary>Where a full build's time goes, by stage (laps of one Stopwatch), for the log and the benchmark; beside it,
/// each stage's CPU time (all of the process's threads, so the writer's work lands in the stage it overlaps) and
/// allocated bytes, which a machine shared with other work distorts far less than wall time.</summary>
internal sealed class BuildTimings
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<Stage> _stages = [];
    private TimeSpan _last;
    private TimeSpan _lastCpu = CpuTime();
    private long _lastAllocated = GC.GetTotalAllocatedBytes();
    private readonly int[] _collectionsAtStart = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];

    private sealed record Stage(string Name, TimeSpan Time, TimeSpan Cpu, long Allocated);

    /// <summary>Adds the time since the previous lap to <paramref name="stage"/>.</summary>
    public void Lap(string stage)
    {
        var now = _clock.Elapsed;
        var cpu = CpuTime();
        var allocated = GC.GetTotalAllocatedBytes();
        var lap = new Stage(stage, now - _last, cpu - _lastCpu, allocated - _lastAllocated);
        var at = _stages.FindIndex(s => s.Name == stage);
        if (at < 0)
        {
            _stages.Add(lap);
        }
        else
        {
            var sum = _stages[at];
            _stages[at] = sum with { Time = sum.Time + lap.Time, Cpu = sum.Cpu + lap.Cpu, Allocated = sum.Allocated + lap.Allocated };
        }
        (_last, _lastCpu, _lastAllocated) = (now, cpu, allocated);
    }

    private static TimeSpan CpuTime()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    public override string ToString() => string.Join(", ", _stages.Select(s => $"{s.Name} {s.Time.TotalMilliseconds:N0} ms"));

    /// <summary>CPU seconds and MiB allocated per stage, then in all, with the garbage collections.</summary>
    public string Costs()
    {
        var stages = string.Join(", ", _stages.Select(s => $"{s.Name} {s.Cpu.TotalSeconds:N1} s CPU {s.Allocated / 1048576.0:N0} MiB"));
        using var self = Process.GetCurrentProcess();
        var gcs = $"{GC.CollectionCount(0) - _collectionsAtStart[0]}/{GC.CollectionCount(1) - _collectionsAtStart[1]}/{GC.CollectionCount(2) - _collectionsAtStart[2]}";
        return $"{stages}; in all {_stages.Sum(s => s.Cpu.TotalSeconds):N1} s CPU (user {self.UserProcessorTime.TotalSeconds:N1} s, kernel {self.PrivilegedProcessorTime.TotalSeconds:N1} s since start), {_stages.Sum(s => s.Allocated) / 1048576.0:N0} MiB allocated, collections gen0/1/2 {gcs}";
    }
}
