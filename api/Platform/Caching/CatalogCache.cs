using System.Collections.Concurrent;
using Headless.Api.Platform.Telemetry;

namespace Headless.Api.Platform.Caching;

/// <summary>
/// The in-process cache for hot public reads (product, listing, categories). Entries are dropped when
/// the outbox announces a change (LISTEN/NOTIFY, see <see cref="CatalogChangeListener"/>) and by the
/// writing request itself right after it commits.
///
/// A read that started before an invalidation must not store its stale result afterwards, so every
/// fill checks that the generation it started under is unchanged: one generation per product stripe
/// plus one for everything (categories, listings).
/// </summary>
public sealed class CatalogCache(bool enabled = true, int maxProducts = 200_000, int maxListings = 20_000)
{
    private const int Stripes = 1024;
    private readonly long[] _productGenerations = new long[Stripes];
    private long _globalGeneration;

    private readonly ConcurrentDictionary<Guid, ProductEntry> _products = new();
    private readonly ConcurrentDictionary<string, Guid> _slugs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CachedBody> _listings = new(StringComparer.Ordinal);
    private volatile CachedBody? _categories;

    public readonly record struct Ticket(long Global, long Product);

    private sealed record ProductEntry(string Slug, CachedBody Body);

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

    public bool TryGetListing(string key, out CachedBody body)
    {
        body = null!;
        var hit = enabled && _listings.TryGetValue(key, out body!);
        HeadlessMetrics.CacheRead("listing", hit);
        return hit;
    }

    public void StoreListing(Ticket ticket, string key, CachedBody body)
    {
        if (_listings.Count >= maxListings)
        {
            _listings.Clear();
        }
        if (ticket.Global != Volatile.Read(ref _globalGeneration))
        {
            return;
        }
        _listings[key] = body;
        if (ticket.Global != Volatile.Read(ref _globalGeneration))
        {
            _listings.TryRemove(key, out _);
        }
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

    /// <summary>One product changed (its fields, variants, prices or stock): drop it and every listing.</summary>
    public void InvalidateProduct(Guid id)
    {
        Interlocked.Increment(ref _productGenerations[Stripe(id)]);
        Interlocked.Increment(ref _globalGeneration);
        if (_products.TryRemove(id, out var entry))
        {
            _slugs.TryRemove(new KeyValuePair<string, Guid>(entry.Slug, id));
        }
        _listings.Clear();
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
        _listings.Clear();
        _categories = null;
    }

    private static int Stripe(Guid id) => (id.GetHashCode() & 0x7fffffff) % Stripes;
}
