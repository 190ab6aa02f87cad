using System.Text.Json;
using Dapper;
using Headless.Contracts.Admin;
using Npgsql;

namespace Headless.Api.Platform.Jobs;

/// <summary>Reading jobs for the admin API (the list, the detail, and the import route's view of one).</summary>
public static class JobQueries
{
    private const string Columns = """
        id, kind, status, total, processed, succeeded, failed, error_count as errorcount, cancel_requested as cancelrequested,
        created_by as createdby, created_at as createdat, started_at as startedat, finished_at as finishedat, version
        """;

    public static async Task<Job?> LoadAsync(NpgsqlConnection conn, Guid id, string? kind, CancellationToken ct)
    {
        var row = await conn.QuerySingleOrDefaultAsync<Row>(new CommandDefinition($"""
            select {Columns}, errors::text as errors, result::text as result
            from jobs where id = @id and (@kind::text is null or kind = @kind)
            """, new { id, kind }, cancellationToken: ct));
        if (row is null)
        {
            return null;
        }
        var errors = JsonSerializer.Deserialize(row.Errors ?? "[]", JobJson.Default.ListJobError) ?? [];
        return new Job(row.Id, row.Kind, row.Status, row.Total, row.Processed, row.Succeeded, row.Failed, Percent(row), row.ErrorCount,
            errors, row.Result is null ? null : JsonDocument.Parse(row.Result).RootElement.Clone(), row.CancelRequested, row.CreatedBy,
            Utc(row.CreatedAt), Utc(row.StartedAt), Utc(row.FinishedAt), row.Version);
    }

    /// <summary>Newest first by id (UUIDv7: creation order), keyset after <paramref name="before"/>.</summary>
    public static async Task<List<JobSummary>> ListAsync(NpgsqlConnection conn, string? kind, string? status, Guid? before, int take, CancellationToken ct)
    {
        var rows = await conn.QueryAsync<Row>(new CommandDefinition($"""
            select {Columns}
            from jobs
            where (@kind::text is null or kind = @kind)
              and (@status::text is null or status = @status)
              and (@before::uuid is null or id < @before)
            order by id desc
            limit @take
            """, new { kind, status, before, take }, cancellationToken: ct));
        return [.. rows.Select(r => new JobSummary(r.Id, r.Kind, r.Status, r.Total, r.Processed, r.Succeeded, r.Failed, Percent(r), r.ErrorCount,
            r.CancelRequested, r.CreatedBy, Utc(r.CreatedAt), Utc(r.StartedAt), Utc(r.FinishedAt)))];
    }

    private static int? Percent(Row r) => r.Status == "succeeded" ? 100
        : r.Total is > 0 and var total ? (int)Math.Min(100, (long)r.Processed * 100 / total)
        : r.Total == 0 ? 100 : null;

    private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));

    private static DateTimeOffset? Utc(DateTime? t) => t is { } v ? Utc(v) : null;

    private sealed class Row
    {
        public Guid Id { get; init; }
        public string Kind { get; init; } = "";
        public string Status { get; init; } = "";
        public int? Total { get; init; }
        public int Processed { get; init; }
        public int Succeeded { get; init; }
        public int Failed { get; init; }
        public int ErrorCount { get; init; }
        public bool CancelRequested { get; init; }
        public string CreatedBy { get; init; } = "";
        public DateTime CreatedAt { get; init; }
        public DateTime? StartedAt { get; init; }
        public DateTime? FinishedAt { get; init; }
        public int Version { get; init; }
        public string? Errors { get; init; }
        public string? Result { get; init; }
    }
}
