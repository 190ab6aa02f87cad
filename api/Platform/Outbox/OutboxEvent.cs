using System.Text.Json.Nodes;

namespace Headless.Api.Platform.Outbox;

/// <summary>One outbox row as a consumer receives it. <see cref="TxId"/> is the writing transaction's id;
/// consumers read in (TxId, Id) order. <see cref="Payload"/> is empty for topics the consumer does not want.
/// <see cref="TraceParent"/> is the W3C trace context of the writing request, if it had one.</summary>
public sealed record OutboxEvent(
    long Id, long TxId, string Topic, string AggregateType, string AggregateId, JsonObject Payload, DateTime CreatedAt, string? TraceParent = null);
