using Headless.Api.Features.Checkout;
using Headless.Api.Features.Payments;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Telemetry;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Headless.Api.Features.Orders;

/// <summary>Applies what the payment provider says about an intent to its order. The webhook, the
/// browser's return and the sweeper all come through here, in any order and any number of times.</summary>
public sealed class PaymentSync(
    NpgsqlDataSource db, IPaymentProvider payments, IOptions<CheckoutOptions> options, Platform.Vaults.PersonalDataVault vault, ILogger<PaymentSync> log)
{
    public async Task ApplyAsync(PaymentIntentInfo intent, Actor actor, string source, CancellationToken ct)
    {
        OrderTransitions.PaidOutcome outcome = default;
        Guid? orderId = null;
        await using (var conn = await db.OpenConnectionAsync(ct))
        await using (var tx = await conn.BeginTransactionAsync(ct))
        {
            var writeLog = new WriteLog(conn, tx, actor) { Vault = vault };
            switch (intent.Status)
            {
                case "succeeded":
                    (outcome, orderId) = await OrderTransitions.MarkPaidAsync(writeLog, intent, source);
                    break;
                case "canceled":
                    var id = await Dapper.SqlMapper.ExecuteScalarAsync<Guid?>(conn, "select order_id from payments where provider_ref = @id", new { id = intent.Id }, tx);
                    if (id is { } order)
                    {
                        await OrderTransitions.CancelUnpaidAsync(writeLog, order, $"{source}: payment canceled");
                    }
                    break;
                case "processing":
                    await OrderTransitions.RecordProcessingAsync(writeLog, intent.Id, DateTime.UtcNow.AddMinutes(options.Value.ReservationMinutes), source);
                    break;
                case "requires_payment_method" when intent.LastError is { } error:
                    await OrderTransitions.RecordPaymentFailureAsync(writeLog, intent.Id, error, source);
                    break;
            }
            await tx.CommitAsync(ct);
        }
        if (outcome == OrderTransitions.PaidOutcome.Paid)
        {
            // Counted once committed: a transaction that rolls back (a lost race, a dropped connection) paid nothing.
            HeadlessMetrics.OrderPaid();
        }
        if (outcome == OrderTransitions.PaidOutcome.PaidAfterCancel && orderId is { } late)
        {
            await RefundLatePaymentAsync(late, intent, actor, ct);
        }
    }

    /// <summary>Money arrived for an order that had already been canceled (its stock released): give it back.</summary>
    private async Task RefundLatePaymentAsync(Guid orderId, PaymentIntentInfo intent, Actor actor, CancellationToken ct)
    {
        log.LogWarning("Payment {PaymentIntent} succeeded after its order {OrderId} was canceled; refunding it", intent.Id, orderId);
        var refund = await payments.RefundAsync(intent.Id, intent.AmountReceived, $"hl-late-{intent.Id}", ct);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await OrderTransitions.RecordRefundAsync(new WriteLog(conn, tx, actor), orderId, refund, "paid after the order was canceled");
        await tx.CommitAsync(ct);
    }
}
