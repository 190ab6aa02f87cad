namespace Headless.Api.Platform.Outbox;

/// <summary>Thrown by a handler for an event that can never succeed (a malformed payload, a template that
/// no longer exists): the consumer records it in `outbox_failures` at once instead of retrying.</summary>
public sealed class OutboxEventRejectedException(string message, Exception? inner = null) : Exception(message, inner);
