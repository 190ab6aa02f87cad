using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Headless.Contracts.Admin;
using Npgsql;

namespace Headless.Api.Platform.Jobs;

/// <summary>A job as its runner claimed it: the attempt number fences every later write.</summary>
public sealed record ClaimedJob(Guid Id, string Kind, string InputJson, string CreatedBy, int Attempt, int StoredErrors);

/// <summary>A file a job works on (an uploaded CSV), stored with it in `job_files`.</summary>
public sealed record JobFile(string Name, byte[] Content);

/// <summary>The SQL of the job table, in one place: enqueue, claim, recover, cancel, finish, read.</summary>
public static class JobStore
{
    public static readonly string[] Statuses = ["queued", "running", "succeeded", "failed", "cancelled"];

    /// <summary>Queues a job in the caller's transaction (so it exists only if the request's own writes
    /// commit); the runners are woken by the insert trigger's NOTIFY at commit.</summary>
    public static async Task<Guid> EnqueueAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string kind, JsonNode? input, string createdBy,
        JobFile? file = null, CancellationToken ct = default)
    {
        var id = Guid.CreateVersion7();
        await conn.ExecuteAsync(new CommandDefinition("""
            insert into jobs (id, kind, input, created_by) values (@id, @kind, @input::jsonb, @createdBy)
            """, new { id, kind, input = (input ?? new JsonObject()).ToJsonString(), createdBy }, tx, cancellationToken: ct));
        if (file is not null)
        {
            await conn.ExecuteAsync(new CommandDefinition(
                "insert into job_files (job_id, name, content) values (@id, @Name, @Content)",
                new { id, file.Name, file.Content }, tx, cancellationToken: ct));
        }
        return id;
    }

    /// <summary>Takes the oldest queued job of the given kinds, or none. One statement, committed at once:
    /// `for update skip locked` makes concurrent claimers pass over a row another is taking (and recheck
    /// `status` if it changed under them), and the row leaves `queued` in the same statement, so exactly
    /// one runner gets each job. No transaction stays open while the job runs (see <see cref="JobRunner"/>).</summary>
    public static async Task<ClaimedJob?> ClaimAsync(NpgsqlDataSource db, IReadOnlyCollection<string> kinds, string runner, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<ClaimedJob>(new CommandDefinition("""
            update jobs
            set status = 'running', attempt = attempt + 1, runner = @runner, started_at = coalesce(started_at, now()),
                heartbeat_at = now(), version = version + 1
            where id = (select id from jobs
                        where status = 'queued' and kind = any(@kinds)
                        order by id
                        limit 1
                        for update skip locked)
              and status = 'queued'
            returning id, kind, input::text as inputjson, created_by as createdby, attempt, jsonb_array_length(errors) as storederrors
            """, new { kinds = kinds.ToArray(), runner }, cancellationToken: ct));
    }

    /// <summary>Running jobs whose heartbeat stopped longer than <paramref name="staleAfter"/> ago lost their
    /// instance: a resumable kind below <paramref name="maxAttempts"/> runs is queued again from the start
    /// (its counts reset), any other is failed with an error saying so. Returns how many were recovered.</summary>
    public static async Task<int> RecoverAsync(NpgsqlDataSource db, TimeSpan staleAfter, IReadOnlyCollection<string> resumableKinds, int maxAttempts,
        CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await conn.ExecuteAsync(new CommandDefinition("""
            with stale as (
                select id from jobs
                where status = 'running' and heartbeat_at < now() - @staleMs * interval '1 millisecond'
                for update skip locked
            )
            update jobs j
            set status = case when j.kind = any(@resumableKinds) and j.attempt < @maxAttempts then 'queued' else 'failed' end,
                processed = case when j.kind = any(@resumableKinds) and j.attempt < @maxAttempts then 0 else j.processed end,
                succeeded = case when j.kind = any(@resumableKinds) and j.attempt < @maxAttempts then 0 else j.succeeded end,
                failed = case when j.kind = any(@resumableKinds) and j.attempt < @maxAttempts then 0 else j.failed end,
                errors = case when j.kind = any(@resumableKinds) and j.attempt < @maxAttempts then '[]'::jsonb
                              else j.errors || jsonb_build_array(jsonb_build_object('row', null, 'column', null, 'item', null,
                                  'message', 'The instance running this job stopped before it finished; what it finished is kept. Start the job again.')) end,
                error_count = case when j.kind = any(@resumableKinds) and j.attempt < @maxAttempts then 0 else j.error_count + 1 end,
                finished_at = case when j.kind = any(@resumableKinds) and j.attempt < @maxAttempts then null else now() end,
                runner = null, version = j.version + 1
            from stale where j.id = stale.id
            """, new { staleMs = staleAfter.TotalMilliseconds, resumableKinds = resumableKinds.ToArray(), maxAttempts }, cancellationToken: ct));
    }

    /// <summary>Asks a job to stop: a queued job is cancelled at once, a running one is flagged and its
    /// handler stops at its next check. Returns the job's status afterwards, or null when there is no such job.</summary>
    public static async Task<string?> RequestCancelAsync(NpgsqlConnection conn, Guid id, CancellationToken ct)
    {
        return await conn.ExecuteScalarAsync<string?>(new CommandDefinition("""
            update jobs
            set cancel_requested = true,
                status = case when status = 'queued' then 'cancelled' else status end,
                finished_at = case when status = 'queued' then now() else finished_at end,
                version = version + 1
            where id = @id
            returning status
            """, new { id }, cancellationToken: ct)) ?? await conn.ExecuteScalarAsync<string?>(
                new CommandDefinition("select status from jobs where id = @id", new { id }, cancellationToken: ct));
    }

    public static async Task<byte[]?> ReadFileAsync(NpgsqlDataSource db, Guid id, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await conn.ExecuteScalarAsync<byte[]?>(new CommandDefinition("select content from job_files where job_id = @id", new { id }, cancellationToken: ct));
    }

    /// <summary>Adds progress and touches the heartbeat; false when the job is no longer this attempt's
    /// (taken over by recovery, or finished). Also answers whether cancellation was requested.</summary>
    internal static async Task<(bool Owned, bool CancelRequested)> AddProgressAsync(NpgsqlDataSource db, Guid id, int attempt, Progress progress,
        CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var cancel = await conn.QuerySingleOrDefaultAsync<bool?>(new CommandDefinition("""
            update jobs
            set processed = processed + @Processed, succeeded = succeeded + @Succeeded, failed = failed + @Failed,
                total = coalesce(@Total, total), errors = errors || @Errors::jsonb, error_count = error_count + @ErrorCount,
                heartbeat_at = now(), version = version + case when @Processed + @ErrorCount > 0 or @Total is not null then 1 else 0 end
            where id = @id and attempt = @attempt and status = 'running'
            returning cancel_requested
            """, new
        {
            id,
            attempt,
            progress.Processed,
            progress.Succeeded,
            progress.Failed,
            progress.Total,
            Errors = JsonSerializer.Serialize(progress.Errors, JobJson.Default.ListJobError),
            progress.ErrorCount,
        }, cancellationToken: ct));
        return (cancel is not null, cancel ?? true);
    }

    /// <summary>Ends this attempt with a final status (succeeded, failed, cancelled) or hands the job back
    /// (queued, on shutdown of a resumable job). An extra error (why it failed) is appended; a result replaces
    /// the stored one. False when the job was no longer this attempt's.</summary>
    internal static async Task<bool> FinishAsync(NpgsqlDataSource db, Guid id, int attempt, string status, JobError? error, string? resultJson)
    {
        await using var conn = await db.OpenConnectionAsync(CancellationToken.None);
        var errors = error is null ? "[]" : JsonSerializer.Serialize(new List<JobError> { error }, JobJson.Default.ListJobError);
        return await conn.ExecuteAsync("""
            update jobs
            set status = @status, finished_at = case when @status = 'queued' then null else now() end,
                runner = null,
                errors = case when @status = 'queued' then '[]'::jsonb else errors || @errors::jsonb end,
                error_count = case when @status = 'queued' then 0 else error_count + jsonb_array_length(@errors::jsonb) end,
                result = coalesce(@resultJson::jsonb, result), version = version + 1,
                processed = case when @status = 'queued' then 0 else processed end,
                succeeded = case when @status = 'queued' then 0 else succeeded end,
                failed = case when @status = 'queued' then 0 else failed end
            where id = @id and attempt = @attempt and status = 'running'
            """, new { id, attempt, status, errors, resultJson }) == 1;
    }
}

/// <summary>Progress not yet written: deltas since the last write, and errors within the job's cap.</summary>
internal sealed record Progress(int Processed, int Succeeded, int Failed, int? Total, List<JobError> Errors, int ErrorCount);
