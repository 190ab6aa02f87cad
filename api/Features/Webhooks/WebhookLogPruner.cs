using Dapper;
using Headless.Api.Platform.Outbox;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Headless.Api.Features.Webhooks;

/// <summary>Deletes deliveries (and, by cascade, their attempts) older than
/// <see cref="WebhooksOptions.RetentionDays"/> (30), hourly, in batches.</summary>
public sealed class WebhookLogPruner(NpgsqlDataSource db, IOptions<WebhooksOptions> options, ILogger<WebhookLogPruner> log) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

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
                    log.LogInformation("Pruned {Rows} webhook deliveries older than {Days} days", pruned, options.Value.RetentionDays);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogWarning("Webhook log pruning failed ({Error}); retrying in {Minutes} minutes", OutboxErrors.Describe(e), Interval.TotalMinutes);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>One pass; returns how many deliveries were deleted.</summary>
    public async Task<int> PruneAsync(CancellationToken ct)
    {
        const int Batch = 5_000;
        var total = 0;
        int deleted;
        do
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            deleted = await conn.ExecuteAsync(new CommandDefinition("""
                delete from webhook_deliveries
                where id in (select id from webhook_deliveries
                             where created_at < now() - @days * interval '1 day' order by created_at limit @Batch)
                """, new { days = Math.Max(1, options.Value.RetentionDays), Batch }, cancellationToken: ct));
            total += deleted;
        }
        while (deleted == Batch);
        return total;
    }
}
