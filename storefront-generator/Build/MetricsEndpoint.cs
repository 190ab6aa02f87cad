using OpenTelemetry.Metrics;

namespace Headless.Storefront.Build;

/// <summary>`watch --metrics-port N`: the generator's own Prometheus scrape endpoint, http://127.0.0.1:N/metrics
/// (loopback only, like the API's default; a scraper on another host goes through a proxy or a sidecar).</summary>
public static class MetricsEndpoint
{
    public static MeterProvider Serve(int port, string host = "127.0.0.1") => OpenTelemetry.Sdk.CreateMeterProviderBuilder()
        .AddMeter(StorefrontMetrics.MeterName)
        .AddPrometheusHttpListener(o =>
        {
            o.Host = host;
            o.Port = port;
            o.ScrapeEndpointPath = "/metrics";
            o.ScrapeResponseCacheDurationMilliseconds = 0;
        })
        .Build();
}
