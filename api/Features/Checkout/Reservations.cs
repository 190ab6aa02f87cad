using Dapper;
using Npgsql;

namespace Headless.Api.Features.Checkout;

/// <summary>Stock held for an order: inventory.reserved, which the storage checks keep within on_hand.</summary>
public static class Reservations
{
    public sealed record Shortage(string Sku, int Available);

    /// <summary>
    /// Reserves every line or reports which fall short. Rows are locked in SKU order first, so two
    /// checkouts with overlapping lines wait for each other instead of deadlocking; the update then only
    /// takes what is available, so stock never goes below zero however many checkouts race.
    /// </summary>
    public static async Task<IReadOnlyList<Shortage>> ReserveAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid orderId, IReadOnlyList<(string Sku, int Quantity)> lines)
    {
        var skus = lines.Select(l => l.Sku).ToArray();
        var quantities = lines.Select(l => l.Quantity).ToArray();
        await Catalog.StockLedger.NoteAsync(conn, tx, $"reserved for order {orderId}", "checkout");
        // The availability events ride along in the same statement: if any line falls short, the caller
        // rolls the whole transaction back, events included.
        using var grid = await conn.QueryMultipleAsync("""
            select sku from inventory where sku = any(@skus) order by sku for update;

            with reserved as (
                update inventory i set reserved = i.reserved + l.quantity, version = i.version + 1, updated_at = now()
                from unnest(@skus, @quantities) as l(sku, quantity)
                where i.sku = l.sku and i.on_hand - i.reserved >= l.quantity
                returning i.sku),
            events as (
                insert into outbox (topic, aggregate_type, aggregate_id, payload, trace_parent)
                select distinct 'inventory.changed', 'product', v.product_id::text, jsonb_build_object('order', @orderId::text), @traceParent
                from variants v where v.sku in (select sku from reserved))
            select sku from reserved;
            """, new { skus, quantities, orderId, traceParent = Platform.Telemetry.TraceContext.Current }, tx);
        await grid.ReadAsync<string>();
        var reserved = (await grid.ReadAsync<string>()).ToHashSet(StringComparer.Ordinal);
        if (reserved.Count == lines.Count)
        {
            return [];
        }
        var short_ = lines.Where(l => !reserved.Contains(l.Sku)).Select(l => l.Sku).ToArray();
        var available = (await conn.QueryAsync<(string Sku, int Available)>(
            "select sku, on_hand - reserved from inventory where sku = any(@short_)", new { short_ }, tx)).ToDictionary(r => r.Sku, r => r.Available);
        return short_.Select(s => new Shortage(s, available.GetValueOrDefault(s))).ToList();
    }
}
