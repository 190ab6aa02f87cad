using Dapper;
using Headless.Api.Features.Payments;
using Headless.Api.Platform.Outbox;
using Npgsql;

namespace Headless.Api.Features.Orders;

/// <summary>
/// A refund in three steps, so the payment provider is never called with a transaction open or a row
/// locked: open it (a 'pending' refund row, written in the caller's transaction under the order's row
/// lock, so its amount counts against what is left and concurrent refunds queue on the lock, never
/// exceed the total); ask the provider after the commit, under a key derived from the refund row (a
/// repeated ask is the same refund at Stripe); record the result in a transaction of its own. A refund
/// left pending because the provider could not be reached is completed by the next attempt; one the
/// provider refused is marked failed and no longer counts.
/// </summary>
public static class Refunds
{
    public sealed record Refundable(string Status, long Total, long RefundedTotal, long Pending, string Currency, string? PaymentRef)
    {
        public long Remaining => Total - RefundedTotal - Pending;
    }

    public sealed record Pending(Guid Id, Guid OrderId, string PaymentRef, long Amount, string Reason);

    /// <summary>Locks the order row for the caller's transaction and says what can still be refunded.</summary>
    public static Task<Refundable?> LockOrderAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid orderId) =>
        conn.QuerySingleOrDefaultAsync<Refundable?>("""
            select o.status, o.total, o.refunded_total,
                   (select coalesce(sum(r.amount), 0) from refunds r where r.order_id = o.id and r.status = 'pending')::bigint as pending,
                   o.currency, p.provider_ref as payment_ref
            from orders o left join payments p on p.order_id = o.id and p.status = 'succeeded'
            where o.id = @orderId for update of o
            """, new { orderId }, tx);

    public static async Task<Pending> OpenAsync(WriteLog log, Guid orderId, string paymentRef, long amount, string reason)
    {
        var pending = new Pending(Guid.CreateVersion7(), orderId, paymentRef, amount, reason);
        await log.Connection.ExecuteAsync("""
            insert into refunds (id, order_id, provider_ref, amount, reason, status, actor)
            values (@Id, @OrderId, null, @Amount, @Reason, 'pending', @actor)
            """, new { pending.Id, pending.OrderId, pending.Amount, pending.Reason, actor = log.Actor.Id }, log.Transaction);
        return pending;
    }

    public static Task<Pending?> FindPendingAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid? refundId = null, Guid? orderId = null) =>
        conn.QuerySingleOrDefaultAsync<Pending?>("""
            select r.id, r.order_id, p.provider_ref as payment_ref, r.amount, r.reason
            from refunds r join payments p on p.order_id = r.order_id and p.status = 'succeeded'
            where r.status = 'pending' and (r.id = @refundId or r.order_id = @orderId)
            order by r.created_at limit 1
            """, new { refundId, orderId }, tx);

    public static string ProviderKey(Guid refundId) => $"hl-refund-{refundId:N}";

    /// <summary>Asks the provider, with nothing open. A refusal marks the refund failed (its amount is free
    /// again) before the exception reaches the caller; an unreachable or busy provider leaves it pending.</summary>
    public static async Task<RefundInfo> AskAsync(NpgsqlDataSource db, IPaymentProvider payments, Pending refund, CancellationToken ct)
    {
        try
        {
            return await payments.RefundAsync(refund.PaymentRef, refund.Amount, ProviderKey(refund.Id), ct);
        }
        catch (PaymentProviderException e) when (!StaysPending(e))
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            await conn.ExecuteAsync("update refunds set status = 'failed' where id = @Id and status = 'pending'", new { refund.Id });
            throw;
        }
    }

    public static bool StaysPending(PaymentProviderException e) => e.Kind is PaymentFailure.Unavailable or PaymentFailure.Busy;

    /// <summary>Records what the provider refunded, in the caller's transaction.</summary>
    public static Task<bool> CompleteAsync(WriteLog log, Pending refund, RefundInfo info) =>
        OrderTransitions.RecordRefundAsync(log, refund.OrderId, info with { Amount = refund.Amount }, refund.Reason, refund.Id);
}
