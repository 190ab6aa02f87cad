using System.Diagnostics.Metrics;

namespace Headless.Storefront.Build;

/// <summary>
/// The generator's instruments (meter `Headless.Storefront`), served by `watch --metrics-port` at /metrics
/// (docs/operations.md). One meter per generator, so a test listens to its own generator only.
/// </summary>
public sealed class StorefrontMetrics : IDisposable
{
    public const string MeterName = "Headless.Storefront";

    private readonly Histogram<double> _publishLag;
    private readonly Histogram<double> _catalogFiles;

    public StorefrontMetrics()
    {
        Meter = new Meter(MeterName);
        _publishLag = Meter.CreateHistogram("headless.storefront.publish_lag", "s",
            "From a catalog change (its change-feed row, written in the change's transaction) to its pages written and published.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300] });
        _catalogFiles = Meter.CreateHistogram("headless.storefront.catalog_files_duration", "s",
            "Duration of a background rewrite of the sitemaps and the feed (behind the pages).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.5, 1, 2, 5, 10, 30, 60] });
    }

    public Meter Meter { get; }

    /// <summary>A change's pages are published. The clocks are the database's and ours: on one host (or NTP), close enough
    /// for seconds; a negative difference (clock skew) counts as 0.</summary>
    public void Published(DateTimeOffset occurredAt, DateTimeOffset publishedAt) =>
        _publishLag.Record(Math.Max(0, (publishedAt - occurredAt).TotalSeconds));

    public void CatalogFilesRewritten(TimeSpan took) => _catalogFiles.Record(took.TotalSeconds);

    public void Dispose() => Meter.Dispose();
}
