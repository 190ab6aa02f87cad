using System.Text.Json.Nodes;
using Headless.Api.Features.Email;
using Headless.Api.Platform.Outbox;

namespace Headless.Api.Features.Orders;

/// <summary>Order mail (confirmation on payment, shipping notice), queued in the transaction that
/// changes the order, with everything the template shows, so the mail says what the order was then. The contact is
/// read from the order's person's vault, and the mail is kept there until it is sent (<see cref="EmailQueue"/>).</summary>
public static class OrderEmails
{
    public static async Task QueueAsync(WriteLog log, string template, Guid orderId, Guid? customerId)
    {
        var order = await OrderStore.LoadAsync(log.Connection, orderId, log.Transaction)
            ?? throw new InvalidOperationException("The order vanished inside its own transaction.");
        var vault = log.Vault ?? throw new InvalidOperationException("Order mail needs the personal-data vault: create the WriteLog with its Vault.");
        if (await OrderContact.ReadAsync(vault, order.Row, CancellationToken.None) is not { } contact)
        {
            // The customer was erased: there is nobody to write to.
            return;
        }
        var o = order.ToContract(contact);
        var model = new JsonObject
        {
            ["number"] = o.Number,
            ["name"] = o.ShippingAddress.FullName,
            ["lines"] = new JsonArray(o.Lines.Select(l => (JsonNode)new JsonObject
            {
                ["title"] = l.Title,
                ["variant"] = l.VariantTitle,
                ["quantity"] = l.Quantity,
                ["total"] = Format(l.LineTotal.Amount, l.LineTotal.Currency),
            }).ToArray()),
            ["subtotal"] = Format(o.Totals.Subtotal.Amount, o.Totals.Subtotal.Currency),
            ["discount"] = o.Totals.Discount.Amount > 0 ? Format(o.Totals.Discount.Amount, o.Totals.Discount.Currency) : null,
            ["shipping"] = Format(o.Totals.Shipping.Amount, o.Totals.Shipping.Currency),
            ["tax"] = Format(o.Totals.Tax.Amount, o.Totals.Tax.Currency),
            ["taxIncluded"] = o.Totals.TaxIncluded,
            ["total"] = Format(o.Totals.Total.Amount, o.Totals.Total.Currency),
            ["shippingMethod"] = o.ShippingMethodName,
            ["address"] = new JsonArray(new[] { o.ShippingAddress.FullName, o.ShippingAddress.Line1, o.ShippingAddress.Line2,
                    $"{o.ShippingAddress.PostalCode} {o.ShippingAddress.City}".Trim(), o.ShippingAddress.Region, o.ShippingAddress.Country }
                .Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => (JsonNode)JsonValue.Create(s)!).ToArray()),
            ["carrier"] = o.Shipment?.Carrier,
            ["trackingNumber"] = o.Shipment?.TrackingNumber,
        };
        await EmailQueue.EnqueueAsync(log, new EmailRequest(template, contact.Email, o.ShippingAddress.FullName, model, customerId?.ToString(),
            OrderContact.PersonOf(order.Row)));
    }

    public static string Format(long minor, string currency) => Headless.Contracts.Commerce.MinorUnits.WithCode(minor, currency);
}
