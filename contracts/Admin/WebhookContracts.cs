namespace Headless.Contracts.Admin;

/// <summary>The public event types an endpoint can subscribe to.</summary>
public static class WebhookEventTypes
{
    public static IReadOnlyList<string> All { get; } =
    [
        "order.created", "order.paid", "order.shipped", "order.cancelled", "order.refunded",
        "product.created", "product.updated", "product.archived",
        "inventory.low_stock",
        "customer.created", "customer.erased",
    ];
}

/// <summary>A new webhook endpoint: where to send (an https URL in production), what for (event types from
/// <see cref="WebhookEventTypes.All"/>), and whether it starts enabled (default true).</summary>
public sealed record CreateWebhookEndpointRequest(string? Url, string? Description, IReadOnlyList<string>? EventTypes, bool? Enabled);

/// <summary>Replaces an endpoint's settings (PUT): url and eventTypes required; description defaults to empty
/// and enabled to true. Enabling clears the reason the platform disabled it.</summary>
public sealed record UpdateWebhookEndpointRequest(string? Url, string? Description, IReadOnlyList<string>? EventTypes, bool? Enabled);

/// <summary>A webhook endpoint (never its secret). <c>disabledReason</c> says why the platform disabled it
/// (<c>gone</c>: it answered 410; <c>failing</c>: every delivery failed for three days); <c>failingSince</c> is the
/// first failure since the last success; <c>previousSecretUntil</c> is the end of a rotation's overlap.</summary>
public sealed record WebhookEndpoint(
    Guid Id,
    string Url,
    string Description,
    IReadOnlyList<string> EventTypes,
    bool Enabled,
    string? DisabledReason,
    DateTimeOffset? FailingSince,
    DateTimeOffset? PreviousSecretUntil,
    int Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>A created endpoint with its signing secret, shown this once.</summary>
public sealed record CreatedWebhookEndpoint(WebhookEndpoint Endpoint, string Secret);

/// <summary>The new signing secret, shown this once; the previous one also signs until previousSecretUntil.</summary>
public sealed record RotatedWebhookSecret(WebhookEndpoint Endpoint, string Secret);

public sealed record WebhookEndpointPage(IReadOnlyList<WebhookEndpoint> Items, string? NextCursor);

/// <summary>One try at a delivery: the receiver's status (null when no answer came), the time it took, the
/// start of its answer (at most 1 KB) or the error.</summary>
public sealed record WebhookAttempt(int Attempt, DateTimeOffset At, int? StatusCode, int LatencyMs, string? ResponseSnippet, string? Error);

/// <summary>One event sent to one endpoint: <c>pending</c> (due at nextAttemptAt), <c>succeeded</c> or <c>failed</c>
/// (retries exhausted or the endpoint disabled; retry it by hand). <c>id</c> is the <c>webhook-id</c> header of
/// every attempt; <c>payload</c> the signed body.</summary>
public sealed record WebhookDelivery(
    Guid Id,
    string EventType,
    string ResourceId,
    DateTimeOffset EventAt,
    string Status,
    int Attempts,
    DateTimeOffset? NextAttemptAt,
    int? LastStatus,
    string? LastError,
    string Payload,
    IReadOnlyList<WebhookAttempt> AttemptLog);

public sealed record WebhookDeliveryPage(IReadOnlyList<WebhookDelivery> Items, string? NextCursor);

/// <summary>Send again every failed delivery of the endpoint whose event happened at or after <c>since</c>.</summary>
public sealed record RedeliverWebhooksRequest(DateTimeOffset? Since);

public sealed record RedeliveryResult(int Queued);
