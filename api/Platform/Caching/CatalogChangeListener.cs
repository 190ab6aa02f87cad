using Npgsql;

namespace Headless.Api.Platform.Caching;

/// <summary>Listens on the `outbox` channel (raised by a trigger on every outbox insert, delivered at
/// commit) and drops the cache entries a change touches, so every API instance serves fresh catalog
/// data within milliseconds of a write anywhere.</summary>
public sealed class CatalogChangeListener(NpgsqlDataSource db, CatalogCache cache, Features.Pricing.PricingRules pricing, ILogger<CatalogChangeListener> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var conn = await db.OpenConnectionAsync(stoppingToken);
                conn.Notification += (_, e) => Apply(e.Payload);
                await using (var listen = new NpgsqlCommand("listen outbox", conn))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                // Whatever changed while we were not listening is unknown: start clean.
                cache.InvalidateAll();
                pricing.Invalidate();
                delay = TimeSpan.FromMilliseconds(200);
                while (!stoppingToken.IsCancellationRequested)
                {
                    await conn.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Any failure, not only a lost connection: the listener must outlive it (a dead listener
                // would serve stale catalog data until a restart).
                cache.InvalidateAll();
                log.LogWarning("Catalog change listener failed ({Error}); retrying in {Delay} ms", Outbox.OutboxErrors.Describe(ex), delay.TotalMilliseconds);
                await Task.Delay(delay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }

    private void Apply(string payload)
    {
        var colon = payload.IndexOf(':');
        if (colon < 0)
        {
            return;
        }
        switch (payload[..colon])
        {
            case "product" when Guid.TryParse(payload.AsSpan(colon + 1), out var id):
                cache.InvalidateProduct(id);
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
