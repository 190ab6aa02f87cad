using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Headless.Api.Platform.Telemetry;

/// <summary>
/// The business's own instruments (meter `Headless`), recorded with one-line calls where the thing
/// happens. Prometheus shows them as `headless_…` (counters get `_total`, seconds `_seconds`); every
/// one is described in docs/operations.md. Static, because the places that count are static helpers
/// (checkout steps, order transitions); a counter with no listener costs a flag check.
/// </summary>
public static class HeadlessMetrics
{
    public const string MeterName = "Headless";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> OrdersCreated = Meter.CreateCounter<long>("headless.orders.created", "{order}",
        "Orders created by checkout (stock reserved, waiting for payment).");

    private static readonly Counter<long> OrdersPaid = Meter.CreateCounter<long>("headless.orders.paid", "{order}",
        "Orders whose payment succeeded.");

    private static readonly Counter<long> PaymentsFailed = Meter.CreateCounter<long>("headless.orders.payment_failed", "{payment}",
        "Payment attempts the provider reported as failed (declined, insufficient funds, ...).");

    private static readonly Counter<long> CheckoutRefusals = Meter.CreateCounter<long>("headless.checkout.refusals", "{checkout}",
        "Checkouts answered with a problem instead of an order, by reason (the problem type: out-of-stock, cart-changed, ...).");

    private static readonly Counter<long> ReservationsExpired = Meter.CreateCounter<long>("headless.reservations.expired", "{reservation}",
        "Unpaid orders whose stock reservation expired and was released by the sweeper.");

    private static readonly Counter<long> ProviderErrors = Meter.CreateCounter<long>("headless.payments.provider_errors", "{call}",
        "Payment provider calls that failed, by operation and kind (unavailable, busy, declined, refused, misconfigured).");

    private static readonly Histogram<double> ProviderDuration = Meter.CreateHistogram("headless.payments.provider_duration", "s",
        "Duration of payment provider calls, by operation and outcome.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30] });

    // Read on every cached request, so counted with one interlocked add and reported at scrape time:
    // a tagged Counter.Add cost a measurable share of a ~20 µs cached read (docs/benchmarks.md).
    private static readonly CacheReadCounts ProductReads = new("product");
    private static readonly CacheReadCounts ListingReads = new("listing");
    private static readonly CacheReadCounts CategoryReads = new("categories");

    private static readonly ObservableCounter<long> CacheRequests = Meter.CreateObservableCounter("headless.cache.requests",
        () => (IEnumerable<Measurement<long>>)[.. ProductReads.Observe(), .. ListingReads.Observe(), .. CategoryReads.Observe()],
        "{request}", "Reads of the in-process catalog cache, by cache (product, listing, categories) and result (hit, miss).");

    public static void OrderCreated() => OrdersCreated.Add(1);

    public static void OrderPaid() => OrdersPaid.Add(1);

    public static void PaymentFailed() => PaymentsFailed.Add(1);

    public static void ReservationExpired() => ReservationsExpired.Add(1);

    /// <summary>A checkout refused with a problem: the reason is the problem type's last segment.</summary>
    public static void CheckoutRefused(string? problemType)
    {
        var reason = problemType is null ? "unknown" : problemType[(problemType.LastIndexOf('/') + 1)..];
        CheckoutRefusals.Add(1, new KeyValuePair<string, object?>("reason", reason));
    }

    /// <summary>One call to the payment provider: its duration, and an error by kind when it failed.</summary>
    public static void ProviderCall(string operation, long startedTimestamp, string? failureKind)
    {
        var op = new KeyValuePair<string, object?>("operation", operation);
        ProviderDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, op,
            new KeyValuePair<string, object?>("outcome", failureKind is null ? "ok" : "error"));
        if (failureKind is not null)
        {
            ProviderErrors.Add(1, op, new KeyValuePair<string, object?>("kind", failureKind));
        }
    }

    public static void CacheRead(string cache, bool hit)
    {
        var counts = cache switch
        {
            "product" => ProductReads,
            "listing" => ListingReads,
            "categories" => CategoryReads,
            _ => throw new ArgumentOutOfRangeException(nameof(cache), cache, "Not a catalog cache."),
        };
        counts.Count(hit);
    }

    private sealed class CacheReadCounts(string cache)
    {
        private readonly KeyValuePair<string, object?> _cache = new("cache", cache);
        private static readonly KeyValuePair<string, object?> Hit = new("result", "hit");
        private static readonly KeyValuePair<string, object?> Miss = new("result", "miss");
        private long _hits;
        private long _misses;

        public void Count(bool hit)
        {
            if (hit)
            {
                Interlocked.Increment(ref _hits);
            }
            else
            {
                Interlocked.Increment(ref _misses);
            }
        }

        public Measurement<long>[] Observe() =>
        [
            new(Interlocked.Read(ref _hits), _cache, Hit),
            new(Interlocked.Read(ref _misses), _cache, Miss),
        ];
    }
}
