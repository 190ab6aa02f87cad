using Dapper;
using Npgsql;

namespace Headless.Api.Features.Checkout;

/// <summary>Stock held for an order: inventory.reserved, which the storage checks keep within on_hand.</summary>
public static class Reservations
{
    public sealed record Shortage(string Sku, int Available);

    /// <summary>
    /// Reserves every line that has the stock, in one statement batched with the order's rows, and returns
    /// the SKUs it reserved; the caller rolls the whole transaction back unless that is every line. Rows are
    /// locked in SKU order first (the materialized <c>locked</c>), so two checkouts with overlapping lines
    /// wait for each other instead of deadlocking; the update re-reads each locked row at its latest version
    /// and only takes what is available, so stock never goes below zero however many checkouts race. The
    /// order's outbox rows (order.created and one inventory.changed per product) are one multi-row insert.
    /// Parameters: @skus, @quantities, @orderId, @traceParent.
    /// </summary>
    public const string ReserveSql = """
        with locked as materialized (
            select sku from inventory where sku = any(@skus) order by sku for update),
        reserved as (
            update inventory i set reserved = i.reserved + l.quantity, version = i.version + 1, updated_at = now()
            from unnest(@skus, @quantities) as l(sku, quantity)
            where i.sku = l.sku and i.sku in (select sku from locked) and i.on_hand - i.reserved >= l.quantity
            returning i.sku),
        events as (
            insert into outbox (topic, aggregate_type, aggregate_id, payload, trace_parent)
            select 'order.created', 'order', @orderId::text, jsonb_build_object(), @traceParent
            union all
            select distinct 'inventory.changed', 'product', v.product_id::text, jsonb_build_object('order', @orderId::text), @traceParent
            from variants v where v.sku in (select sku from reserved))
        select sku from reserved;
        """;

    /// <summary>The lines <see cref="ReserveSql"/> could not reserve, with what is left of each.</summary>
    public static async Task<IReadOnlyList<Shortage>> ShortagesAsync(NpgsqlConnection conn, IReadOnlyList<(string Sku, int Quantity)> lines, IReadOnlySet<string> reserved)
    {
        var short_ = lines.Where(l => !reserved.Contains(l.Sku)).Select(l => l.Sku).ToArray();
        if (short_.Length == 0)
        {
            return [];
        }
        var available = (await conn.QueryAsync<(string Sku, int Available)>(
            "select sku, on_hand - reserved from inventory where sku = any(@short_)", new { short_ })).ToDictionary(r => r.Sku, r => r.Available);
        return short_.Select(s => new Shortage(s, available.GetValueOrDefault(s))).ToList();
    }
}
