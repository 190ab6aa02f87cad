using System.Text.Json.Nodes;
using Dapper;
using Headless.Api.Features.Catalog;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Telemetry;
using Npgsql;

namespace Headless.Api.Features.Orders;

/// <summary>
/// Every change of an order's status, each a conditional UPDATE on the status it starts from, so
/// racing callers (the webhook and the browser, the sweeper and a late payment) cannot both apply it:
/// the first wins and the others see nothing to do. Each runs in the caller's transaction and
/// records the transition, its stock effect and its events there.
/// </summary>
public static class OrderTransitions
{
    public enum PaidOutcome { Paid, AlreadyPaid, PaidAfterCancel, AmountMismatch, UnknownPayment }

    /// <summary>The provider says the intent succeeded: the order becomes paid once, its reservation is
    /// committed (taken off on_hand), and the confirmation email is queued.</summary>
    public static async Task<(PaidOutcome Outcome, Guid? OrderId)> MarkPaidAsync(WriteLog log, Payments.PaymentIntentInfo intent, string source)
    {
        var (conn, tx) = (log.Connection, log.Transaction);
        var payment = await conn.QuerySingleOrDefaultAsync<(Guid OrderId, long Amount, string Currency)?>("""
            update payments set status = 'succeeded', last_error = null, updated_at = now()
            where provider_ref = @id
            returning order_id, amount, currency
            """, new { id = intent.Id }, tx);
        if (payment is not { } p)
        {
            return (PaidOutcome.UnknownPayment, null);
        }
        if (intent.AmountReceived < p.Amount || !string.Equals(intent.Currency, p.Currency.Trim(), StringComparison.OrdinalIgnoreCase))
        {
            await EventAsync(conn, tx, p.OrderId, OrderStatus.PendingPayment, OrderStatus.PendingPayment, log.Actor.Id,
                $"{source}: payment of {intent.AmountReceived} {intent.Currency} does not match the order's {p.Amount} {p.Currency.Trim()}; not marked paid");
            return (PaidOutcome.AmountMismatch, p.OrderId);
        }
        var order = await conn.QuerySingleOrDefaultAsync<(string Number, Guid? CustomerId)?>("""
            update orders set status = 'paid', reservation = 'committed', paid_at = now(), version = version + 1, updated_at = now()
            where id = @id and status = 'pending_payment' and reservation = 'held'
            returning number, customer_id
            """, new { id = p.OrderId }, tx);
        if (order is not { } o)
        {
            var status = await conn.ExecuteScalarAsync<string>("select status from orders where id = @id", new { id = p.OrderId }, tx);
            return (status == OrderStatus.Canceled ? PaidOutcome.PaidAfterCancel : PaidOutcome.AlreadyPaid, p.OrderId);
        }
        // Reserved units become sold ones: on_hand and reserved drop together, availability is unchanged.
        await StockLedger.NoteAsync(conn, tx, $"order {o.Number} paid", log.Actor.Id);
        await conn.ExecuteAsync("""
            update inventory i set on_hand = i.on_hand - l.quantity, reserved = i.reserved - l.quantity,
                   version = i.version + 1, updated_at = now()
            from order_lines l where l.order_id = @id and i.sku = l.sku
            """, new { id = p.OrderId }, tx);
        await EventAsync(conn, tx, p.OrderId, OrderStatus.PendingPayment, OrderStatus.Paid, log.Actor.Id, source);
        await log.EventAsync("order.paid", "order", p.OrderId.ToString(), new JsonObject { ["number"] = o.Number });
        await OrderEmails.QueueAsync(log, "order-confirmation", p.OrderId, o.CustomerId);
        return (PaidOutcome.Paid, p.OrderId);
    }

    /// <summary>An unpaid order is canceled and its held stock goes back on sale.</summary>
    public static async Task<bool> CancelUnpaidAsync(WriteLog log, Guid orderId, string note)
    {
        var (conn, tx) = (log.Connection, log.Transaction);
        var canceled = await conn.ExecuteAsync("""
            update orders set status = 'canceled', reservation = 'released', version = version + 1, updated_at = now()
            where id = @orderId and status = 'pending_payment' and reservation = 'held'
            """, new { orderId }, tx);
        if (canceled == 0)
        {
            return false;
        }
        await StockLedger.NoteAsync(conn, tx, $"reservation released: {note}", log.Actor.Id);
        await conn.ExecuteAsync("""
            update inventory i set reserved = i.reserved - l.quantity, version = i.version + 1, updated_at = now()
            from order_lines l where l.order_id = @orderId and i.sku = l.sku
            """, new { orderId }, tx);
        await conn.ExecuteAsync("update payments set status = 'canceled', updated_at = now() where order_id = @orderId and status <> 'succeeded'", new { orderId }, tx);
        await EventAsync(conn, tx, orderId, OrderStatus.PendingPayment, OrderStatus.Canceled, log.Actor.Id, note);
        await log.EventAsync("order.canceled", "order", orderId.ToString());
        await StockEventsAsync(log, orderId);
        return true;
    }

    /// <summary>A paid, unshipped order is canceled (its money refunded by the caller) and its goods
    /// go back on the shelf.</summary>
    public static async Task<bool> CancelPaidAsync(WriteLog log, Guid orderId, string note)
    {
        var (conn, tx) = (log.Connection, log.Transaction);
        var number = await conn.ExecuteScalarAsync<string?>("""
            update orders set status = 'canceled', reservation = 'released', version = version + 1, updated_at = now()
            where id = @orderId and status = 'paid' and reservation = 'committed'
            returning number
            """, new { orderId }, tx);
        if (number is null)
        {
            return false;
        }
        await StockLedger.NoteAsync(conn, tx, $"order {number} canceled", log.Actor.Id);
        await conn.ExecuteAsync("""
            update inventory i set on_hand = i.on_hand + l.quantity, version = i.version + 1, updated_at = now()
            from order_lines l where l.order_id = @orderId and i.sku = l.sku
            """, new { orderId }, tx);
        await EventAsync(conn, tx, orderId, OrderStatus.Paid, OrderStatus.Canceled, log.Actor.Id, note);
        await log.EventAsync("order.canceled", "order", orderId.ToString());
        await StockEventsAsync(log, orderId);
        return true;
    }

    /// <summary>The payment was submitted and settles later (SEPA, ACH debits: days): the order keeps its
    /// stock held until <paramref name="holdUntil"/> at least; the sweeper asks again then rather than release it.</summary>
    public static async Task RecordProcessingAsync(WriteLog log, string paymentRef, DateTime holdUntil, string source)
    {
        var (conn, tx) = (log.Connection, log.Transaction);
        var order = await conn.QuerySingleOrDefaultAsync<(Guid OrderId, string Before)?>("""
            with before as (select order_id, status from payments where provider_ref = @paymentRef and status not in ('succeeded', 'canceled')),
            changed as (
                update payments p set status = 'processing', last_error = null, updated_at = now()
                from before b where p.order_id = b.order_id returning p.order_id)
            select b.order_id, b.status from before b join changed using (order_id)
            """, new { paymentRef }, tx);
        if (order is not { } o)
        {
            return;
        }
        await conn.ExecuteAsync("""
            update orders set reservation_expires_at = greatest(reservation_expires_at, @holdUntil), version = version + 1, updated_at = now()
            where id = @orderId and status = 'pending_payment' and reservation = 'held'
            """, new { orderId = o.OrderId, holdUntil }, tx);
        if (o.Before != "processing")
        {
            await EventAsync(conn, tx, o.OrderId, OrderStatus.PendingPayment, OrderStatus.PendingPayment, log.Actor.Id,
                $"{source}: payment processing; stock held until it settles");
        }
    }

    public static async Task RecordPaymentFailureAsync(WriteLog log, string paymentRef, string reason, string source)
    {
        var (conn, tx) = (log.Connection, log.Transaction);
        var orderId = await conn.ExecuteScalarAsync<Guid?>("""
            update payments set status = 'requires_payment_method', last_error = @reason, updated_at = now()
            where provider_ref = @paymentRef and status not in ('succeeded', 'canceled')
              and (status <> 'requires_payment_method' or last_error is distinct from @reason)
            returning order_id
            """, new { paymentRef, reason }, tx);
        if (orderId is { } id)
        {
            await EventAsync(conn, tx, id, OrderStatus.PendingPayment, OrderStatus.PendingPayment, log.Actor.Id, $"{source}: payment failed ({reason})");
            HeadlessMetrics.PaymentFailed();
        }
    }

    /// <summary>Adds a refund to the order's refunded total (never beyond the total); the status follows
    /// unless the order was canceled. False when the refund was already recorded or would exceed the total.
    /// <paramref name="pendingId"/>: the refund row opened before the provider was asked (<see cref="Refunds"/>), completed here.</summary>
    public static async Task<bool> RecordRefundAsync(WriteLog log, Guid orderId, Payments.RefundInfo refund, string reason, Guid? pendingId = null)
    {
        var (conn, tx) = (log.Connection, log.Transaction);
        var order = await conn.QuerySingleOrDefaultAsync<(string Status, long Total, long RefundedTotal)?>(
            "select status, total, refunded_total from orders where id = @orderId for update", new { orderId }, tx);
        if (order is not { } o || o.RefundedTotal + refund.Amount > o.Total)
        {
            return false;
        }
        var inserted = await conn.ExecuteAsync(pendingId is null
            ? """
              insert into refunds (id, order_id, provider_ref, amount, reason, status, actor)
              values (@id, @orderId, @providerRef, @amount, @reason, @status, @actor)
              on conflict (provider_ref) do nothing
              """
            : """
              update refunds set provider_ref = @providerRef, status = @status
              where id = @id and order_id = @orderId and status = 'pending' and amount = @amount
              """,
            new { id = pendingId ?? Guid.CreateVersion7(), orderId, providerRef = refund.Id, amount = refund.Amount, reason, status = refund.Status, actor = log.Actor.Id }, tx);
        if (inserted == 0)
        {
            return false;
        }
        var after = o.Status == OrderStatus.Canceled ? o.Status
            : o.RefundedTotal + refund.Amount == o.Total ? OrderStatus.Refunded : OrderStatus.PartiallyRefunded;
        await conn.ExecuteAsync("""
            update orders set refunded_total = refunded_total + @amount, status = @after, version = version + 1, updated_at = now()
            where id = @orderId
            """, new { orderId, amount = refund.Amount, after }, tx);
        await EventAsync(conn, tx, orderId, o.Status, after, log.Actor.Id, $"refund {refund.Amount} ({refund.Id}){(reason.Length > 0 ? ": " + reason : "")}");
        await log.EventAsync("order.refunded", "order", orderId.ToString(), new JsonObject { ["amount"] = refund.Amount });
        return true;
    }

    public static Task EventAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid orderId, string? from, string to, string actor, string note) =>
        conn.ExecuteAsync("""
            insert into order_events (order_id, from_status, to_status, actor, note) values (@orderId, @from, @to, @actor, @note)
            """, new { orderId, from, to, actor, note }, tx);

    /// <summary>Availability of the order's products changed: their pages, caches and search entries refresh.</summary>
    public static Task StockEventsAsync(WriteLog log, Guid orderId) =>
        log.Connection.ExecuteAsync("""
            insert into outbox (topic, aggregate_type, aggregate_id, payload, trace_parent)
            select distinct 'inventory.changed', 'product', product_id::text, jsonb_build_object('order', @orderId::text), @traceParent
            from order_lines where order_id = @orderId
            """, new { orderId, traceParent = TraceContext.Current }, log.Transaction);
}
