using System.Text.Json;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Commerce;

namespace Headless.Api.Features.Orders;

/// <summary>
/// An order's contact email and addresses. They live in the vault of the order's person, as the fields
/// `order.&lt;orderIdN&gt;.email`, `.shipping_address` and `.billing_address` (the GDPR export reads these names); the core
/// row keeps only the person's id and region, and the shipping country and region code that tax needs (orders placed
/// before the vaults were moved there, and their plain columns dropped, by migration 0035). A shredded person's order,
/// or one erased before the vaults (no person), has no contact: it shows as erased, with its amounts, lines, number and
/// country intact.
/// </summary>
public sealed record OrderContact(string Email, OrderAddress ShipTo, OrderAddress BillTo)
{
    public static string EmailField(Guid orderId) => $"order.{orderId:N}.email";
    public static string ShippingField(Guid orderId) => $"order.{orderId:N}.shipping_address";
    public static string BillingField(Guid orderId) => $"order.{orderId:N}.billing_address";

    /// <summary>Writes the three fields in one vault round trip. Checkout calls this before its core transaction, so a
    /// checkout that then rolls back leaves fields no order refers to: harmless, unreadable once the person is shredded.</summary>
    public Task SaveAsync(PersonalDataVault vault, PersonRef person, Guid orderId, CancellationToken ct) =>
        vault.PutAsync(person, new Dictionary<string, string?>
        {
            [EmailField(orderId)] = Email,
            [ShippingField(orderId)] = JsonSerializer.Serialize(ShipTo, ApiJsonContext.Default.OrderAddress),
            [BillingField(orderId)] = JsonSerializer.Serialize(BillTo, ApiJsonContext.Default.OrderAddress),
        }, ct);

    /// <summary>The order's contact out of its person's fields; null when they are gone (the person was shredded).</summary>
    public static OrderContact? From(Guid orderId, IReadOnlyDictionary<string, string>? fields) =>
        fields is not null && fields.TryGetValue(EmailField(orderId), out var email)
            && fields.TryGetValue(ShippingField(orderId), out var shipTo) && fields.TryGetValue(BillingField(orderId), out var billTo)
            ? new OrderContact(email, Address(shipTo), Address(billTo))
            : null;

    /// <summary>The order's person, or null for an order erased before the vaults.</summary>
    public static PersonRef? PersonOf(OrderStore.OrderRow row) =>
        row.PersonId is { } id && row.PersonRegion is { } region ? new PersonRef(id, region) : null;

    /// <summary>One order's contact: one vault read (a person of another region raises <see cref="WrongRegionException"/>, a
    /// vault that is down <see cref="VaultUnavailableException"/>); null when erased.</summary>
    public static async Task<OrderContact?> ReadAsync(PersonalDataVault vault, OrderStore.OrderRow row, CancellationToken ct) =>
        PersonOf(row) is { } person ? From(row.Id, await vault.GetAsync(person, ct)) : null;

    /// <summary>What an erased order shows: no name, street or email; the country and region code tax law keeps.</summary>
    public static OrderContact Erased(string? country, string? region) =>
        new("", new OrderAddress("", "", "", "", region ?? "", "", country ?? "", ""), new OrderAddress("", "", "", "", "", "", "", ""));

    private static OrderAddress Address(string json) =>
        JsonSerializer.Deserialize(json, ApiJsonContext.Default.OrderAddress) ?? new OrderAddress("", "", "", "", "", "", "", "");
}
