using System.Diagnostics.Metrics;
using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Headless.Api.Features.Search;

/// <summary>
/// How far the search index is behind the catalog: the age of the oldest outbox event the indexer has
/// not handled yet (0 when it has caught up), and how many are waiting. Published as the gauge
/// `headless.search.index_lag` (seconds; meter `Headless.Search`) and in `/health/ready`.
/// </summary>
public sealed class SearchLag(NpgsqlDataSource db, ISearchIndex index) : IHealthCheck, IDisposable
{
    public const string MeterName = "Headless.Search";

    /// <summary>Above this the check reports Degraded (still 200: search answers, only less fresh).</summary>
    public static readonly TimeSpan DegradedAfter = TimeSpan.FromSeconds(30);

    private const string LagSql = """
        select coalesce(extract(epoch from clock_timestamp() - min(o.created_at)), 0)::float8 as seconds, count(o.id) as pending
        from outbox_consumers c
        join outbox o on (o.txid, o.id) > (c.position_txid, c.position_id) and o.topic = any(@topics)
        where c.name = @name
        """;

    private readonly Meter _meter = new(MeterName);
    private Measurement? _last;

    public sealed record Measurement(double Seconds, long Pending, bool Registered);

    public string ConsumerName => SearchIndexer.ConsumerNameFor(index.Name);

    public async Task<Measurement> MeasureAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var registered = await conn.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from outbox_consumers where name = @name)", new { name = ConsumerName }, cancellationToken: ct));
        var (seconds, pending) = await conn.QuerySingleAsync<(double, long)>(new CommandDefinition(LagSql,
            new { name = ConsumerName, topics = Topics }, cancellationToken: ct));
        return _last = new Measurement(seconds, pending, registered);
    }

    private static string[] Topics => [.. SearchIndexer.ProductTopics, .. SearchIndexer.CategoryTopics, SearchIndexer.LoadedTopic];

    /// <summary>Starts publishing the gauge (the last measurement; measured afresh when it is older than a poll).</summary>
    public void PublishMetric() => _meter.CreateObservableGauge("headless.search.index_lag", () =>
    {
        try
        {
            return MeasureAsync(CancellationToken.None).GetAwaiter().GetResult().Seconds;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            return _last?.Seconds ?? 0;
        }
    }, unit: "s", description: "Age of the oldest catalog change not yet in the search index (0 when caught up).");

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            var lag = await MeasureAsync(ct);
            var data = new Dictionary<string, object>
            {
                ["engine"] = index.Name,
                ["indexLagSeconds"] = Math.Round(lag.Seconds, 3),
                ["pendingEvents"] = lag.Pending,
            };
            if (!lag.Registered)
            {
                return HealthCheckResult.Degraded("The search indexer has not started yet.", data: data);
            }
            return lag.Seconds > DegradedAfter.TotalSeconds
                ? HealthCheckResult.Degraded($"The search index is {lag.Seconds:F0} s behind the catalog.", data: data)
                : HealthCheckResult.Healthy("Search index up to date.", data);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("Search index lag unknown: database unreachable.");
        }
    }

    public void Dispose() => _meter.Dispose();
}
