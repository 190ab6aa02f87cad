using System.Diagnostics;

namespace Headless.Api.Platform.Telemetry;

/// <summary>The W3C trace context carried with each outbox event (column `outbox.trace_parent`), so the
/// consumers' handling spans join the trace of the request that wrote the event.</summary>
public static class TraceContext
{
    /// <summary>The current span as a `traceparent` value, or null outside a trace.</summary>
    public static string? Current => Activity.Current is { IdFormat: ActivityIdFormat.W3C } a ? a.Id : null;
}
