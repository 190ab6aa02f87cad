using Dapper;
using Headless.Api.Features.Checkout;
using Headless.Api.Features.Payments;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Headless.Api.Features.Orders;

/// <summary>
/// Releases the stock of checkouts nobody paid for in time. Each expired order's payment is canceled
/// at the provider first: if it turns out to have been paid after all, the order is marked paid
/// instead, so a late payment never meets released stock; if it is still processing (SEPA, ACH debits
/// settle over days), the order keeps its stock for another reservation period and is asked about again
/// then. An order whose payment was never set up (the provider failed at checkout) has nothing to cancel.
/// </summary>
public sealed class ReservationSweeper(NpgsqlDataSource db, IPaymentProvider payments, PaymentSync sync,
    IOptions<CheckoutOptions> options, ILogger<ReservationSweeper> log) : BackgroundService
{
    private static readonly Actor Sweeper = Actor.System("reservation-sweeper");

    /// <summary>Sweeps that failed so far (diagnostics, and a way for tests to see a failure happen).</summary>
    public int SweepFailures => Volatile.Read(ref _sweepFailures);

    /// <summary>Sweeps that completed so far.</summary>
    public int Sweeps => Volatile.Read(ref _sweeps);

    private int _sweepFailures;
    private int _sweeps;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, options.Value.SweepIntervalSeconds)));
        do
        {
            try
            {
                var released = await SweepAsync(stoppingToken);
                if (released > 0)
                {
                    log.LogInformation("Released the stock of {Count} expired checkouts", released);
                }
                await using var conn = await db.OpenConnectionAsync(stoppingToken);
                await Idempotency.PurgeExpiredAsync(conn);
                Interlocked.Increment(ref _sweeps);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Whatever the cause (database, provider, a row it cannot handle), the sweeper lives on: a
                // dead sweeper would hold reserved stock forever. The type and code only: messages can
                // carry provider text or personal data.
                Interlocked.Increment(ref _sweepFailures);
                log.LogWarning("Reservation sweep failed ({Error}); retrying on the next tick", OutboxErrors.Describe(e));
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>One pass: every order whose reservation has expired. Returns how many were released.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        List<(Guid OrderId, string? PaymentRef, string? PaymentStatus)> expired;
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            expired = (await conn.QueryAsync<(Guid, string?, string?)>("""
                select o.id, p.provider_ref, p.status from orders o left join payments p on p.order_id = o.id
                where o.reservation = 'held' and o.reservation_expires_at <= now()
                order by o.reservation_expires_at limit 500
                """)).ToList();
        }
        var released = 0;
        foreach (var (orderId, paymentRef, paymentStatus) in expired)
        {
            if (paymentRef is not null)
            {
                try
                {
                    // A payment known to be processing is only asked about: canceling it is refused for most methods.
                    var intent = paymentStatus == "processing" ? await payments.RetrieveIntentAsync(paymentRef, ct) : null;
                    if (intent is not { Status: "processing" or "succeeded" })
                    {
                        intent = await payments.CancelIntentAsync(paymentRef, ct);
                    }
                    if (intent.Status is "succeeded" or "processing")
                    {
                        await sync.ApplyAsync(intent, Sweeper, $"sweeper found the payment {intent.Status}", ct);
                        continue;
                    }
                }
                catch (PaymentProviderException e) when (!e.Unavailable)
                {
                    // The provider does not know the intent (or refuses to cancel it): nothing can be paid
                    // on it, so the stock goes back. Only an unreachable provider stops the sweep.
                    log.LogWarning("Could not cancel payment of expired order {OrderId} ({Error}); releasing its stock", orderId, e.Message);
                }
            }
            await using var conn = await db.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            var expiredNow = await OrderTransitions.CancelUnpaidAsync(new WriteLog(conn, tx, Sweeper), orderId, "reservation expired");
            await tx.CommitAsync(ct);
            if (expiredNow)
            {
                released++;
                Platform.Telemetry.HeadlessMetrics.ReservationExpired();
            }
        }
        return released;
    }
}
