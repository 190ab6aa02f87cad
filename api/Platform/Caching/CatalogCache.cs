using System.Collections.Concurrent;
using Headless.Api.Platform.Telemetry;

namespace Headless.Api.Platform.Caching;

/// <summary>
/// The in-process cache for hot public reads (product, listing, categories). Entries are dropped when
/// the outbox announces a change (LISTEN/NOTIFY, see <see cref="CatalogChangeListener"/>) and by the
/// writing request itself right after it commits.
///
/// A read that started before an invalidation must not store its stale result afterwards, so every
/// product and categories fill checks that the generation it started under is unchanged: one generation
/// per product stripe plus one for everything.
///
/// Listing pages are kept through a sale: checkouts change stock all the time, but a listing card only
/// shows whether a product is in stock, so only a `listing:` notification (a flip, a price, title or
/// category change: see migration 0020) touches them, and only the pages it alters: those listing the
/// product (an index from product to page keys) and those it can now enter (their filters and the stretch
/// of the sort order they cover). Concurrent misses of one page run one query (single flight); a page
/// dropped under load is served stale for at most the stale bound while one request refreshes it. A fill
/// is checked against the changes announced while its query ran, so it never stores a page one alters.
/// </summary>
public sealed class CatalogCache(bool enabled = true, int maxProducts = 200_000, int maxListings = 20_000, TimeSpan? listingStaleFor = null,
    TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private const int RememberedChanges = 4096;
    private const int Stripes = 1024;
    private readonly long[] _productGenerations = new long[Stripes];
    private long _globalGeneration;

    private readonly ConcurrentDictionary<Guid, ProductEntry> _products = new();
    private readonly ConcurrentDictionary<string, Guid> _slugs = new(StringComparer.Ordinal);
    private readonly TimeSpan _listingStaleFor = listingStaleFor ?? TimeSpan.FromSeconds(2);

    // Listing pages: read without a lock; stored, marked stale and indexed under _listingLock, which also orders
    // them against the recent changes a fill is checked against.
    private readonly ConcurrentDictionary<string, ListingEntry> _listings = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<ListingFill?>>> _flights = new(StringComparer.Ordinal);
    private readonly Lock _listingLock = new();
    private readonly Dictionary<Guid, HashSet<string>> _pagesByProduct = [];
    private readonly Queue<(long Seq, ListingChange? Change)> _recentChanges = new();
    private long _changeSeq;
    private long _oldestRememberedSeq;
    private long _listingQueries;
    private volatile CachedBody? _categories;

    public readonly record struct Ticket(long Global, long Product);

    private sealed record ProductEntry(string Slug, CachedBody Body);

    private sealed class ListingEntry(CachedBody body, ListingPageInfo info)
    {
        public CachedBody Body { get; } = body;
        public ListingPageInfo Info { get; } = info;
        /// <summary>Clock timestamp of the change that made it stale; 0 while fresh.</summary>
        public long StaleSince;
    }

    public Ticket TicketFor(Guid productId) =>
        new(Volatile.Read(ref _globalGeneration), Volatile.Read(ref _productGenerations[Stripe(productId)]));

    public Ticket GlobalTicket() => new(Volatile.Read(ref _globalGeneration), 0);

    public bool TryGetProduct(Guid id, out CachedBody body)
    {
        if (enabled && _products.TryGetValue(id, out var entry))
        {
            body = entry.Body;
            HeadlessMetrics.CacheRead("product", hit: true);
            return true;
        }
        body = null!;
        HeadlessMetrics.CacheRead("product", hit: false);
        return false;
    }

    public bool TryResolveSlug(string slug, out Guid id)
    {
        id = Guid.Empty;
        return enabled && _slugs.TryGetValue(slug, out id);
    }

    public bool IsSlugOf(Guid id, string slug) => _products.TryGetValue(id, out var e) && e.Slug == slug;

    public void StoreProduct(Ticket ticket, Guid id, string slug, CachedBody body)
    {
        if (_products.Count >= maxProducts)
        {
            _products.Clear();
            _slugs.Clear();
        }
        if (ticket != TicketFor(id))
        {
            return;
        }
        _products[id] = new ProductEntry(slug, body);
        _slugs[slug] = id;
        // An invalidation that raced with the two writes above is repeated by whoever bumped the generation.
        if (ticket != TicketFor(id))
        {
            _products.TryRemove(id, out _);
        }
    }

    /// <summary>A listing page to serve without a query: fresh, or dropped less than the stale bound ago while
    /// another request is already refreshing it (so under load one request queries and the rest do not queue).</summary>
    public bool TryGetListing(string key, out CachedBody body)
    {
        body = null!;
        if (!enabled || !_listings.TryGetValue(key, out var entry))
        {
            HeadlessMetrics.CacheRead("listing", hit: false);
            return false;
        }
        var staleSince = Volatile.Read(ref entry.StaleSince);
        if (staleSince == 0 || (_flights.ContainsKey(key) && _clock.GetElapsedTime(staleSince) <= _listingStaleFor))
        {
            body = entry.Body;
            HeadlessMetrics.CacheRead("listing", hit: true);
            return true;
        }
        HeadlessMetrics.CacheRead("listing", hit: false);
        return false;
    }

    /// <summary>Listing queries run since start (misses and refreshes; with the cache off, every request).</summary>
    public long ListingQueries => Interlocked.Read(ref _listingQueries);

    /// <summary>Runs <paramref name="load"/> once for any number of concurrent callers of one key (single flight)
    /// and stores its page unless a change announced since the query began alters it. A null page (the request
    /// was refused) is not stored.</summary>
    public async Task<ListingFill?> FillListingAsync(string key, Func<Task<ListingFill?>> load)
    {
        if (!enabled)
        {
            Interlocked.Increment(ref _listingQueries);
            return await load();
        }
        var flight = _flights.GetOrAdd(key, k => new Lazy<Task<ListingFill?>>(() => FlyAsync(k, load)));
        return await flight.Value;
    }

    private async Task<ListingFill?> FlyAsync(string key, Func<Task<ListingFill?>> load)
    {
        long startedAt;
        lock (_listingLock)
        {
            startedAt = _changeSeq;
        }
        try
        {
            // Yield first: the caller that creates the flight must not run the query inside GetOrAdd's factory.
            await Task.Yield();
            // A caller that missed just before the previous flight stored the page finds it here.
            if (_listings.TryGetValue(key, out var stored) && Volatile.Read(ref stored.StaleSince) == 0)
            {
                return new ListingFill(stored.Body, stored.Info);
            }
            Interlocked.Increment(ref _listingQueries);
            var fill = await load();
            if (fill is not null)
            {
                StoreListing(startedAt, key, fill);
            }
            return fill;
        }
        finally
        {
            _flights.TryRemove(key, out _);
        }
    }

    private void StoreListing(long startedAt, string key, ListingFill fill)
    {
        lock (_listingLock)
        {
            // Changes announced while the query ran: the page must not outlive one that alters it.
            if (startedAt < _oldestRememberedSeq)
            {
                return;
            }
            foreach (var (seq, change) in _recentChanges)
            {
                if (seq > startedAt && (change is null || fill.Info.IsAlteredBy(change)))
                {
                    return;
                }
            }
            if (_listings.Count >= maxListings)
            {
                ClearListings();
            }
            if (_listings.TryGetValue(key, out var old))
            {
                Unindex(key, old);
            }
            _listings[key] = new ListingEntry(fill.Body, fill.Info);
            foreach (var id in fill.Info.ProductIds)
            {
                if (!_pagesByProduct.TryGetValue(id, out var keys))
                {
                    _pagesByProduct[id] = keys = new HashSet<string>(StringComparer.Ordinal);
                }
                keys.Add(key);
            }
        }
    }

    /// <summary>A listing notification: marks stale exactly the pages the change alters (pages listing the product,
    /// and pages it can now enter); every other page stays as it is.</summary>
    public void ApplyListingChange(ListingChange change)
    {
        lock (_listingLock)
        {
            Remember(change);
            var now = _clock.GetTimestamp();
            foreach (var (key, entry) in _listings)
            {
                if (entry.Info.IsAlteredBy(change))
                {
                    MarkStale(key, entry, now);
                }
            }
        }
    }

    /// <summary>Marks stale the pages that list this product (the writing request, right after its commit, so
    /// its own next read of them is fresh; pages it may enter follow within milliseconds by notification).</summary>
    private void DropListingsOf(Guid id)
    {
        lock (_listingLock)
        {
            if (!_pagesByProduct.TryGetValue(id, out var keys))
            {
                return;
            }
            var now = _clock.GetTimestamp();
            foreach (var key in keys)
            {
                if (_listings.TryGetValue(key, out var entry))
                {
                    MarkStale(key, entry, now);
                }
            }
        }
    }

    /// <summary>Drops every listing page at once (a bulk change, or notifications may have been missed).</summary>
    public void InvalidateListings()
    {
        lock (_listingLock)
        {
            Remember(null);
            ClearListings();
        }
    }

    /// <summary>How many listing pages are cached and how many of them are fresh (tests, diagnostics).</summary>
    public (int Cached, int Fresh) ListingCounts()
    {
        var entries = _listings.Values.ToList();
        return (entries.Count, entries.Count(e => Volatile.Read(ref e.StaleSince) == 0));
    }

    private void MarkStale(string key, ListingEntry entry, long now)
    {
        if (_listingStaleFor <= TimeSpan.Zero)
        {
            _listings.TryRemove(key, out _);
            Unindex(key, entry);
            return;
        }
        Interlocked.CompareExchange(ref entry.StaleSince, now, 0);
    }

    private void Remember(ListingChange? change)
    {
        _changeSeq++;
        _recentChanges.Enqueue((_changeSeq, change));
        while (_recentChanges.Count > RememberedChanges)
        {
            _oldestRememberedSeq = _recentChanges.Dequeue().Seq + 1;
        }
    }

    private void Unindex(string key, ListingEntry entry)
    {
        foreach (var id in entry.Info.ProductIds)
        {
            if (_pagesByProduct.TryGetValue(id, out var keys) && keys.Remove(key) && keys.Count == 0)
            {
                _pagesByProduct.Remove(id);
            }
        }
    }

    private void ClearListings()
    {
        _listings.Clear();
        _pagesByProduct.Clear();
    }

    public CachedBody? Categories => enabled ? _categories : null;

    public void StoreCategories(Ticket ticket, CachedBody body)
    {
        if (ticket.Global == Volatile.Read(ref _globalGeneration))
        {
            _categories = body;
        }
        if (ticket.Global != Volatile.Read(ref _globalGeneration))
        {
            _categories = null;
        }
    }

    /// <summary>One product changed (its fields, variants, prices or stock): drop its own entry at once (product
    /// pages show exact stock). Listing pages change only through <see cref="ApplyListingChange"/>, except that
    /// the writer's own call drops the pages listing the product.</summary>
    public void InvalidateProduct(Guid id, bool listings = true)
    {
        Interlocked.Increment(ref _productGenerations[Stripe(id)]);
        Interlocked.Increment(ref _globalGeneration);
        if (_products.TryRemove(id, out var entry))
        {
            _slugs.TryRemove(new KeyValuePair<string, Guid>(entry.Slug, id));
        }
        if (listings)
        {
            DropListingsOf(id);
        }
    }

    /// <summary>Categories or the whole catalog changed, or we may have missed notifications: drop everything.</summary>
    public void InvalidateAll()
    {
        for (var i = 0; i < Stripes; i++)
        {
            Interlocked.Increment(ref _productGenerations[i]);
        }
        Interlocked.Increment(ref _globalGeneration);
        _products.Clear();
        _slugs.Clear();
        InvalidateListings();
        _categories = null;
    }

    private static int Stripe(Guid id) => (id.GetHashCode() & 0x7fffffff) % Stripes;
}

/// <summary>A listing page as queried: its body and what it shows (for exact invalidation).</summary>
public sealed record ListingFill(CachedBody Body, ListingPageInfo Info);
