using System.Diagnostics;
using Headless.Api.Platform.Outbox;

namespace Headless.Api.Platform.Telemetry;

/// <summary>
/// Spans for outbox handling (source `Headless.Outbox`): one per event a consumer handles, a child of the
/// span that wrote the event (its `traceparent` travels in `outbox.trace_parent`), so one trace runs from
/// a checkout request to its email and its search update. An event written outside a trace starts a new
/// one. Null (nothing recorded, nothing allocated) when no listener samples it.
/// </summary>
public static class OutboxTracing
{
    public const string SourceName = "Headless.Outbox";

    private static readonly ActivitySource Source = new(SourceName);

    public static Activity? StartHandling(string consumer, OutboxEvent e)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        ActivityContext.TryParse(e.TraceParent, null, isRemote: true, out var parent);
        var span = Source.StartActivity($"{consumer} process {e.Topic}", ActivityKind.Consumer, parent);
        span?.SetTag("messaging.system", "postgresql_outbox");
        span?.SetTag("messaging.operation.type", "process");
        span?.SetTag("messaging.destination.name", e.Topic);
        span?.SetTag("messaging.consumer.group.name", consumer);
        span?.SetTag("messaging.message.id", e.Id);
        return span;
    }
}
