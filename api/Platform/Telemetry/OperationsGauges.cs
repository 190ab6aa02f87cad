using System.Diagnostics.Metrics;
using Dapper;
using Npgsql;

namespace Headless.Api.Platform.Telemetry;

/// <summary>
/// Gauges read from the database when scraped (meter `Headless.Operations`): each outbox consumer's lag
/// (seconds since the oldest event after its position) and dead letters, and each standby's replay lag
/// from `pg_stat_replication` (no series without a standby). One query serves all three per scrape: its
/// answer is kept for a second, so the gauges' callbacks in one collection share it.
/// </summary>
public sealed class OperationsGauges : IDisposable
{
    public const string MeterName = "Headless.Operations";

    private const string Sql = """
        select c.name as Consumer,
               coalesce(extract(epoch from clock_timestamp() - (
                   select o.created_at from outbox o
                   where (o.txid, o.id) > (c.position_txid, c.position_id)
                   order by o.txid, o.id limit 1)), 0)::float8 as LagSeconds,
               (select count(*) from outbox_failures f where f.consumer = c.name) as DeadLetters
        from outbox_consumers c;

        select coalesce(application_name, client_addr::text, 'standby') as Standby,
               coalesce(extract(epoch from replay_lag), 0)::float8 as LagSeconds
        from pg_stat_replication;
        """;

    private static readonly TimeSpan Fresh = TimeSpan.FromSeconds(1);

    private readonly NpgsqlDataSource _db;
    private readonly ILogger<OperationsGauges> _log;
    private readonly Meter _meter = new(MeterName);
    private readonly Lock _lock = new();
    private Reading _last = new([], [], DateTime.MinValue);

    private sealed record ConsumerRow(string Consumer, double LagSeconds, long DeadLetters);

    private sealed record StandbyRow(string Standby, double LagSeconds);

    private sealed record Reading(IReadOnlyList<ConsumerRow> Consumers, IReadOnlyList<StandbyRow> Standbys, DateTime At);

    public OperationsGauges(NpgsqlDataSource db, ILogger<OperationsGauges> log)
    {
        (_db, _log) = (db, log);
        _meter.CreateObservableGauge("headless.outbox.lag", () => Read().Consumers.Select(c =>
            new Measurement<double>(c.LagSeconds, new KeyValuePair<string, object?>("consumer", c.Consumer))), "s",
            "Seconds since the oldest outbox event the consumer has not passed yet (0 when caught up).");
        _meter.CreateObservableGauge("headless.outbox.dead_letters", () => Read().Consumers.Select(c =>
            new Measurement<long>(c.DeadLetters, new KeyValuePair<string, object?>("consumer", c.Consumer))), "{event}",
            "Events the consumer gave up on (rows in outbox_failures).");
        _meter.CreateObservableGauge("headless.database.replica_lag", () => Read().Standbys.Select(s =>
            new Measurement<double>(s.LagSeconds, new KeyValuePair<string, object?>("standby", s.Standby))), "s",
            "Replay lag of each streaming standby, from pg_stat_replication.");
    }

    private Reading Read()
    {
        lock (_lock)
        {
            if (DateTime.UtcNow - _last.At < Fresh)
            {
                return _last;
            }
            try
            {
                using var conn = _db.OpenConnection();
                using var grid = conn.QueryMultiple(Sql);
                var consumers = grid.Read<ConsumerRow>().AsList();
                var standbys = grid.Read<StandbyRow>().AsList();
                return _last = new Reading(consumers, standbys, DateTime.UtcNow);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                // No series rather than stale ones: a scrape with the database down shows the gap.
                _log.LogWarning("Operations gauges could not be read ({Error})", Outbox.OutboxErrors.Describe(ex));
                return _last = new Reading([], [], DateTime.UtcNow);
            }
        }
    }

    public void Dispose() => _meter.Dispose();
}
