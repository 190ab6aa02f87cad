using Dapper;
using Npgsql;

namespace Headless.Api.Features.Orders.Admin;

/// <summary>The order fields that staff writes change, as JSON for the audit log's before and after.
/// Locks the order row for the rest of the transaction, so "before" is what the write changed.</summary>
public static class OrderAuditState
{
    public static Task<string?> ReadAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid orderId, long? refundAmount = null) =>
        conn.ExecuteScalarAsync<string?>("""
            select (jsonb_build_object('status', status, 'version', version, 'carrier', carrier, 'trackingNumber', tracking_number,
                    'total', total, 'refundedTotal', refunded_total, 'currency', trim(currency))
                    || jsonb_strip_nulls(jsonb_build_object('refundAmount', @refundAmount::bigint)))::text
            from orders where id = @orderId for update
            """, new { orderId, refundAmount }, tx);
}
