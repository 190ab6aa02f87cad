using Dapper;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Catalog;
using Headless.Contracts.Commerce;
using Npgsql;

namespace Headless.Api.Features.Orders;

/// <summary>Reads an order with its lines, payment state and history in one round trip.</summary>
public static class OrderStore
{
    private const string Sql = """
        select o.id, o.number, o.customer_id, o.access_token_hash, o.status,
               o.person_id, o.person_region, o.ship_country, o.ship_region,
               o.currency, o.subtotal, o.discount_total, o.shipping_total, o.tax_total, o.total, o.refunded_total,
               o.prices_include_tax, o.tax_rate_basis_points, o.shipping_method, o.shipping_method_name, o.discount_code,
               o.reservation, o.reservation_expires_at, o.carrier, o.tracking_number, o.version, o.created_at, o.paid_at,
               coalesce(p.status, 'none') as payment_status, p.provider as payment_provider, p.provider_ref as payment_ref
        from orders o left join payments p on p.order_id = o.id
        where o.id = @id;
        select sku, product_id, product_slug, title, variant_title, unit_price, quantity, line_total
        from order_lines where order_id = @id order by sku;
        select from_status, to_status, actor, note, at from order_events where order_id = @id order by id;
        """;

    public static async Task<LoadedOrder?> LoadAsync(NpgsqlConnection conn, Guid id, NpgsqlTransaction? tx = null)
    {
        using var grid = await conn.QueryMultipleAsync(Sql, new { id }, tx);
        var row = await grid.ReadSingleOrDefaultAsync<OrderRow>();
        var lines = (await grid.ReadAsync<LineRow>()).ToList();
        var events = (await grid.ReadAsync<EventRow>()).ToList();
        return row is null ? null : new LoadedOrder(row, lines, events);
    }

    public sealed record LoadedOrder(OrderRow Row, List<LineRow> Lines, List<EventRow> Events)
    {
        /// <summary>The order as the API shows it, its contact read from the person's vault (see <see cref="OrderContact"/>).</summary>
        public async Task<Order> ToContractAsync(PersonalDataVault vault, CancellationToken ct) =>
            ToContract(await OrderContact.ReadAsync(vault, Row, ct));

        /// <summary>The order with this contact; null shows it as erased (<see cref="Order.ContactErased"/>).</summary>
        public Order ToContract(OrderContact? contact)
        {
            var r = Row;
            var shown = contact ?? OrderContact.Erased(r.ShipCountry, r.ShipRegion);
            var currency = r.Currency.Trim();
            Money M(long amount) => new(amount, currency);
            return new Order(
                r.Id, r.Number, r.Status, shown.Email, shown.ShipTo, shown.BillTo,
                Lines.Select(l => new OrderLine(l.Sku, l.ProductId, l.ProductSlug, l.Title, l.VariantTitle, M(l.UnitPrice), l.Quantity, M(l.LineTotal))).ToList(),
                new OrderTotals(M(r.Subtotal), M(r.DiscountTotal), M(r.ShippingTotal), M(r.TaxTotal), M(r.Total), M(r.RefundedTotal), r.PricesIncludeTax, r.TaxRateBasisPoints),
                r.ShippingMethod, r.ShippingMethodName, r.DiscountCode, r.PaymentStatus, r.Reservation,
                Utc(r.ReservationExpiresAt),
                r.Carrier is null ? null : new Shipment(r.Carrier, r.TrackingNumber ?? ""),
                Events.Select(e => new OrderEvent(e.FromStatus, e.ToStatus, e.Actor, e.Note, Utc(e.At))).ToList(),
                r.Version, Utc(r.CreatedAt), r.PaidAt is { } paid ? Utc(paid) : null, ContactErased: contact is null);
        }
    }

    public static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    public sealed class OrderRow
    {
        public Guid Id { get; init; }
        public string Number { get; init; } = "";
        public Guid? CustomerId { get; init; }
        public byte[] AccessTokenHash { get; init; } = [];
        public string Status { get; init; } = "";
        public Guid? PersonId { get; init; }
        public string? PersonRegion { get; init; }
        public string? ShipCountry { get; init; }
        public string? ShipRegion { get; init; }
        public string Currency { get; init; } = "";
        public long Subtotal { get; init; }
        public long DiscountTotal { get; init; }
        public long ShippingTotal { get; init; }
        public long TaxTotal { get; init; }
        public long Total { get; init; }
        public long RefundedTotal { get; init; }
        public bool PricesIncludeTax { get; init; }
        public int TaxRateBasisPoints { get; init; }
        public string ShippingMethod { get; init; } = "";
        public string ShippingMethodName { get; init; } = "";
        public string? DiscountCode { get; init; }
        public string Reservation { get; init; } = "";
        public DateTime ReservationExpiresAt { get; init; }
        public string? Carrier { get; init; }
        public string? TrackingNumber { get; init; }
        public int Version { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime? PaidAt { get; init; }
        public string PaymentStatus { get; init; } = "";
        public string? PaymentProvider { get; init; }
        public string? PaymentRef { get; init; }
    }

    public sealed class LineRow
    {
        public string Sku { get; init; } = "";
        public Guid ProductId { get; init; }
        public string ProductSlug { get; init; } = "";
        public string Title { get; init; } = "";
        public string VariantTitle { get; init; } = "";
        public long UnitPrice { get; init; }
        public int Quantity { get; init; }
        public long LineTotal { get; init; }
    }

    public sealed class EventRow
    {
        public string? FromStatus { get; init; }
        public string ToStatus { get; init; } = "";
        public string Actor { get; init; } = "";
        public string Note { get; init; } = "";
        public DateTime At { get; init; }
    }
}
