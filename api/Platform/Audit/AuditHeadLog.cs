using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Headless.Api.Platform.Audit;

public sealed class AuditOptions
{
    public const string Section = "Headless:Audit";

    /// <summary>How often the chain head goes to the log (default daily).</summary>
    public TimeSpan HeadLogInterval { get; set; } = TimeSpan.FromDays(1);
}

/// <summary>
/// Writes the audit chain's head (seq and hash) to the JSON log at start and then every
/// HeadLogInterval. The log stream is kept apart from the database (CloudWatch in production), so
/// after someone deletes the newest rows and rewrites audit_chain_head to match, the last logged head
/// still shows a seq the database no longer reaches, or a hash it no longer has.
/// </summary>
public sealed partial class AuditHeadLog(NpgsqlDataSource db, IOptions<AuditOptions> options, TimeProvider clock, ILogger<AuditHeadLog> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.HeadLogInterval, clock);
        do
        {
            await LogHeadAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task LogHeadAsync(CancellationToken ct)
    {
        try
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            var head = await conn.QuerySingleOrDefaultAsync<(long Seq, byte[] Hash, DateTime UpdatedAt)?>(
                "select seq, hash, updated_at from audit_chain_head");
            if (head is { } h)
            {
                Head(log, h.Seq, Convert.ToHexStringLower(h.Hash), DateTime.SpecifyKind(h.UpdatedAt, DateTimeKind.Utc));
            }
        }
        catch (Exception e) when ((e is NpgsqlException or InvalidOperationException) && !ct.IsCancellationRequested)
        {
            HeadUnavailable(log, e.Message);
        }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Audit chain head: seq {AuditHeadSeq}, hash {AuditHeadHash}, last row at {AuditHeadAt:o}")]
    private static partial void Head(ILogger logger, long auditHeadSeq, string auditHeadHash, DateTime auditHeadAt);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Audit chain head could not be read: {Reason}")]
    private static partial void HeadUnavailable(ILogger logger, string reason);
}
