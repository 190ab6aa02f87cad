using System.Globalization;
using System.Text.Json;

namespace Headless.Api.Features.Webhooks;

/// <summary>The domain's outbox topics as public event types, and the thin payload each delivery sends:
/// <c>{ id, type, timestamp, data: { id, version } }</c>. Receivers fetch the resource for its details;
/// the version says whether what they hold is older.</summary>
public static class WebhookEvents
{
    /// <summary>Outbox topic → public event type. Several topics can mean one type (a variant change is an
    /// update of its product).</summary>
    public static IReadOnlyDictionary<string, string> ByTopic { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["order.created"] = "order.created",
        ["order.paid"] = "order.paid",
        ["order.fulfilled"] = "order.shipped",
        ["order.canceled"] = "order.cancelled",
        ["order.refunded"] = "order.refunded",
        ["product.created"] = "product.created",
        ["product.updated"] = "product.updated",
        ["product.bulk_updated"] = "product.updated",
        ["variant.created"] = "product.updated",
        ["variant.updated"] = "product.updated",
        ["variant.archived"] = "product.updated",
        ["product.archived"] = "product.archived",
        ["inventory.low_stock"] = "inventory.low_stock",
        ["customer.created"] = "customer.created",
        ["customer.erased"] = "customer.erased",
    };

    /// <summary>The exact JSON body every attempt of a delivery sends (and signs).</summary>
    public static string Payload(long outboxId, string type, DateTime createdAt, string resourceId, int? version)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", "evt_" + outboxId.ToString(CultureInfo.InvariantCulture));
            json.WriteString("type", type);
            json.WriteString("timestamp", DateTime.SpecifyKind(createdAt, DateTimeKind.Utc));
            json.WriteStartObject("data");
            json.WriteString("id", resourceId);
            if (version is { } v)
            {
                json.WriteNumber("version", v);
            }
            else
            {
                json.WriteNull("version");
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
