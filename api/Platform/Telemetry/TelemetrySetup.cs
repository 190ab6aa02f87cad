using Headless.Api.Features.Search;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Headless.Api.Platform.Telemetry;

/// <summary>
/// Telemetry in one place (eShop's ServiceDefaults is the model).
/// <para>Metrics: runtime, ASP.NET Core (HTTP server), HttpClient, the Npgsql pool and our own meters
/// (<see cref="HeadlessMetrics"/>, <see cref="OperationsGauges"/>, the search lag), always collected and
/// scraped at `/metrics` (<see cref="MapMetrics"/>), and pushed over OTLP when configured.</para>
/// <para>Traces: ASP.NET Core in, HttpClient out, Npgsql commands and outbox handling
/// (<see cref="OutboxTracing"/>), recorded and exported only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set:
/// without an exporter, recording spans would only cost the hot path. Trace ids flow either way:
/// every request has one, it is in each JSON log line (TraceId, SpanId scopes), in audit rows, and
/// travels with each outbox event to the consumers.</para>
/// <para>Logs: the JSON console always; OTLP too when the endpoint is set.</para>
/// </summary>
public static class TelemetrySetup
{
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string MetricsPath = "/metrics";

    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointKey]);
        builder.Services.AddSingleton<OperationsGauges>();
        builder.Services.AddSingleton(MetricsAccess.Read(builder.Configuration).Access);

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? "headless-api"))
            .WithMetrics(m => m
                .AddRuntimeInstrumentation()
                // ASP.NET Core's own meters, without AddAspNetCoreInstrumentation's routing and rate-limiting
                // meters: the routing counter adds a tagged measurement to every request and nothing reads it.
                .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Diagnostics")
                .AddHttpClientInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddMeter(HeadlessMetrics.MeterName, OperationsGauges.MeterName, SearchLag.MeterName)
                .AddMeter(SearchCountCache.MeterName)
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        if (otlp)
        {
            telemetry
                .WithTracing(t => t
                    .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments(MetricsPath))
                    .AddHttpClientInstrumentation()
                    .AddNpgsql()
                    .AddSource(OutboxTracing.SourceName))
                .WithLogging()
                .UseOtlpExporter();
        }
        return builder;
    }

    /// <summary>`/metrics` in Prometheus' text format, for allowed networks or the scrape token only; to
    /// anyone else it does not exist (the request goes on to the ordinary 404). Not in the OpenAPI document:
    /// it is an operator's endpoint, not part of the API. Runs right after the client address is resolved.</summary>
    public static WebApplication MapMetrics(this WebApplication app)
    {
        var access = app.Services.GetRequiredService<MetricsAccess>();
        // Created with the host, so the gauges exist before the first scrape.
        app.Services.GetRequiredService<OperationsGauges>();
        app.UseOpenTelemetryPrometheusScrapingEndpoint(
            http => http.Request.Path == MetricsPath && HttpMethods.IsGet(http.Request.Method) && access.Allows(http));
        return app;
    }
}
