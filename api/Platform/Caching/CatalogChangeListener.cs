using Npgsql;

namespace Headless.Api.Platform.Caching;

/// <summary>Listens on the `outbox` channel (raised by a trigger on every outbox insert, delivered at
/// commit) and drops the cache entries a change touches, so every API instance serves fresh catalog
/// data within milliseconds of a write anywhere.</summary>
public sealed class CatalogChangeListener(NpgsqlDataSource db, CatalogCache cache, Features.Pricing.PricingRules pricing, ILogger<CatalogChangeListener> log) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Database.NotificationListener.RunAsync(db, "outbox",
        onNotification: Apply,
        // Whatever changed while we were not listening is unknown: start clean.
        onListening: () =>
        {
            cache.InvalidateAll();
            pricing.Invalidate();
        },
        // Any failure, not only a lost connection: the listener must outlive it (a dead listener would serve
        // stale catalog data until a restart).
        onLost: (ex, delay) =>
        {
            cache.InvalidateAll();
            log.LogWarning("Catalog change listener failed ({Error}); retrying in {Delay} ms", Outbox.OutboxErrors.Describe(ex), delay.TotalMilliseconds);
        },
        stoppingToken);

    private void Apply(string payload)
    {
        var colon = payload.IndexOf(':');
        if (colon < 0)
        {
            return;
        }
        switch (payload[..colon])
        {
            // Every product event (each checkout's inventory.changed included) refreshes the product's own page;
            // listing pages wait for a listing notification, raised only when a listing can show the change.
            case "product" when Guid.TryParse(payload.AsSpan(colon + 1), out var id):
                cache.InvalidateProduct(id, listings: false);
                break;
            case "listing" when payload.AsSpan(colon + 1) is "*":
                cache.InvalidateListings();
                break;
            case "listing" when ListingChange.TryParse(payload[(colon + 1)..], out var change):
                cache.ApplyListingChange(change);
                break;
            case "listing":
                // Unreadable: be safe rather than stale.
                cache.InvalidateListings();
                break;
            case "category" or "catalog":
                cache.InvalidateAll();
                break;
            case "pricing":
                pricing.Invalidate();
                break;
        }
    }
}
