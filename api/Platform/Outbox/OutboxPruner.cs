using Dapper;
using Npgsql;

namespace Headless.Api.Platform.Outbox;

/// <summary>
/// Deletes outbox rows every consumer has read, once they are older than the retention period
/// (`Headless:Outbox:RetentionDays`, default 30). Rows hold personal data (queued mail carries the
/// recipient and the order), so they are kept only as long as replaying or auditing a delivery needs.
/// "Read by every consumer" is the (txid, id) position rule of <see cref="OutboxConsumer"/>: a row at or
/// before the lowest position. A row a consumer dead-lettered is past its position too and goes with
/// the rest; `outbox_failures` keeps the topic and the masked error. `email_deliveries` (sent-mail
/// bookkeeping by outbox id) is pruned with the rows it points at.
/// </summary>
public sealed class OutboxPruner(NpgsqlDataSource db, IConfiguration config, ILogger<OutboxPruner> log) : BackgroundService
{
    public const string RetentionKey = OutboxConsumerOptions.Section + ":RetentionDays";
    public const int DefaultRetentionDays = 30;

    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    public TimeSpan Retention => TimeSpan.FromDays(Math.Max(1, config.GetValue(RetentionKey, DefaultRetentionDays)));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                var pruned = await PruneAsync(stoppingToken);
                if (pruned > 0)
                {
                    log.LogInformation("Pruned {Rows} delivered outbox rows older than {Days} days", pruned, Retention.TotalDays);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogWarning("Outbox pruning failed ({Error}); retrying in {Minutes} minutes", OutboxErrors.Describe(e), Interval.TotalMinutes);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>One pass; returns how many outbox rows were deleted.</summary>
    public async Task<int> PruneAsync(CancellationToken ct)
    {
        const int Batch = 10_000;
        var total = 0;
        int deleted;
        do
        {
            // In batches, each its own transaction, so a first run over years of rows holds no huge one.
            await using var conn = await db.OpenConnectionAsync(ct);
            deleted = await conn.ExecuteScalarAsync<int>(new CommandDefinition("""
                with pruned as (
                    delete from outbox
                    where id in (
                        select o.id from outbox o
                        where o.created_at < now() - @days * interval '1 day'
                          and not exists (select 1 from outbox_consumers c where (o.txid, o.id) > (c.position_txid, c.position_id))
                        order by o.id
                        limit @Batch)
                    returning id),
                deliveries as (
                    delete from email_deliveries d using pruned where d.outbox_id = pruned.id)
                select count(*)::int from pruned
                """, new { days = Retention.TotalDays, Batch }, cancellationToken: ct));
            total += deleted;
        }
        while (deleted == Batch);
        return total;
    }
}
