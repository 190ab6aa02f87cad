using System.Net.Mail;
using System.Text.Json;
using System.Text.Json.Nodes;
using Headless.Api.Platform.Outbox;

namespace Headless.Api.Features.Email;

/// <summary>Queues transactional email through the outbox: the mail goes out if, and only if, the
/// caller's transaction commits. The <see cref="EmailConsumer"/> renders and sends it.</summary>
public static class EmailQueue
{
    public const string Topic = "email.requested";
    public const string AggregateType = "email";

    /// <summary>Appends an `email.requested` outbox event (aggregate_type "email", aggregate_id =
    /// CustomerId ?? "anonymous") inside the caller's transaction.</summary>
    /// <exception cref="ArgumentException">The template does not exist, or the recipient is not an address.</exception>
    public static Task EnqueueAsync(WriteLog log, EmailRequest email)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(email);
        ArgumentNullException.ThrowIfNull(email.Model, nameof(email.Model));
        if (!EmailTemplates.Exists(email.Template))
        {
            throw new ArgumentException(
                $"Unknown email template '{email.Template}'. Templates: {string.Join(", ", EmailTemplates.Names)}.", nameof(email));
        }
        if (!IsAddress(email.To))
        {
            // The address itself stays out of the message: exception messages end up in logs.
            throw new ArgumentException("The recipient is not a valid email address.", nameof(email));
        }
        return log.EventAsync(Topic, AggregateType, email.CustomerId ?? "anonymous", ToPayload(email));
    }

    internal static JsonObject ToPayload(EmailRequest email) => new()
    {
        ["template"] = email.Template,
        ["to"] = email.To,
        ["toName"] = email.ToName,
        ["model"] = email.Model.DeepClone(),
    };

    /// <summary>Reads back what <see cref="EnqueueAsync"/> wrote; null when the payload was erased (a
    /// GDPR erasure blanks the queued mail of the person it erases).</summary>
    /// <exception cref="OutboxEventRejectedException">The payload is not one EnqueueAsync writes.</exception>
    internal static EmailRequest? FromPayload(JsonObject payload, string aggregateId)
    {
        if (payload["erased"] is JsonValue erased && erased.GetValueKind() == JsonValueKind.True)
        {
            return null;
        }
        if (payload["template"] is not JsonValue template || template.GetValueKind() != JsonValueKind.String
            || payload["to"] is not JsonValue to || to.GetValueKind() != JsonValueKind.String)
        {
            throw new OutboxEventRejectedException("The email event has no template or recipient.");
        }
        if (!EmailTemplates.Exists(template.GetValue<string>()))
        {
            throw new OutboxEventRejectedException($"The email template '{template.GetValue<string>()}' no longer exists.");
        }
        var toName = payload["toName"] is JsonValue name && name.GetValueKind() == JsonValueKind.String ? name.GetValue<string>() : null;
        return new EmailRequest(template.GetValue<string>(), to.GetValue<string>(), toName,
            payload["model"] as JsonObject ?? [], aggregateId == "anonymous" ? null : aggregateId);
    }

    private static bool IsAddress(string? value) =>
        !string.IsNullOrWhiteSpace(value)
        && value.IndexOfAny(['\r', '\n']) < 0
        && MailAddress.TryCreate(value, out var parsed)
        && parsed.Address == value
        && string.IsNullOrEmpty(parsed.DisplayName);
}
