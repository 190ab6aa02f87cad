using System.Threading.Channels;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Npgsql;

namespace Headless.Api.Platform.Jobs;

/// <summary>
/// Runs background jobs (the `jobs` table) in every API instance: CSV imports, bulk product edits, each
/// kind by its <see cref="IJobHandler"/>.
/// <para>Each of <see cref="JobsOptions.Concurrency"/> workers claims the oldest queued job of a kind it has
/// a handler for, runs it and writes the outcome, then looks for the next; with nothing queued it waits
/// for NOTIFY jobs (the insert trigger, at commit) or the poll.</para>
/// <para>The claim is one `update ... where id = (select ... for update skip locked)` statement that sets
/// the job running and commits at once. That is safe with many instances: a claimer skips a row another is
/// taking, and one that reads the row after the other's commit finds it no longer queued, so each job has
/// exactly one runner. Unlike the outbox consumers (docs/architecture.md), `skip locked` costs nothing here:
/// the lock lives for that one statement, not for the run, so no transaction id stays open while a job
/// works for minutes and the change feed's xmin horizon is never held back. A job's own writes are its
/// handler's short transactions (an import commits per product).</para>
/// <para>Ownership after the claim is the row's `attempt`: every progress write and the final status name
/// it, so they do nothing once the job is no longer this run's. A live runner touches `heartbeat_at` every
/// <see cref="JobsOptions.HeartbeatInterval"/>; before each claim, every runner looks for running jobs whose
/// heartbeat is older than <see cref="JobsOptions.StaleAfter"/> (their instance died) and queues them again
/// when their handler is <see cref="IJobHandler.Resumable"/> (idempotent work, run again from the start)
/// or fails them saying so. A runner that was only slow finds its job taken over at its next write and stops.</para>
/// <para>On shutdown the handlers' token is cancelled; a job that did not finish is handed back (resumable)
/// or failed with a message to start it again, so nothing stays "running" behind a stopped instance.</para>
/// </summary>
public sealed class JobRunner : BackgroundService
{
    private readonly NpgsqlDataSource _db;
    private readonly JobsOptions _options;
    private readonly ILogger<JobRunner> _log;
    private readonly Dictionary<string, IJobHandler> _handlers;
    private readonly string[] _kinds;
    private readonly string[] _resumableKinds;
    private readonly string _name = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";
    private readonly List<Channel<bool>> _wakes = [];
    private long _finished;

    public JobRunner(NpgsqlDataSource db, IEnumerable<IJobHandler> handlers, JobsOptions options, ILogger<JobRunner> log)
    {
        _db = db;
        _options = options.Validate();
        _log = log;
        _handlers = handlers.ToDictionary(h => h.Kind, StringComparer.Ordinal);
        _kinds = [.. _handlers.Keys];
        _resumableKinds = [.. _handlers.Values.Where(h => h.Resumable).Select(h => h.Kind)];
    }

    /// <summary>This runner's name, stored in `jobs.runner` while it runs a job.</summary>
    public string Name => _name;

    /// <summary>Jobs this runner finished (any final status): lets tests know a run ended.</summary>
    public long Finished => Interlocked.Read(ref _finished);

    /// <summary>Asks every idle worker to look for work now.</summary>
    public void Wake()
    {
        lock (_wakes)
        {
            foreach (var wake in _wakes)
            {
                wake.Writer.TryWrite(true);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_kinds.Length == 0)
        {
            return;
        }
        var listening = ListenAsync(stoppingToken);
        var workers = Enumerable.Range(0, _options.Concurrency).Select(_ => WorkAsync(stoppingToken)).ToList();
        await Task.WhenAll(workers);
        await listening;
    }

    private async Task WorkAsync(CancellationToken stop)
    {
        var wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        lock (_wakes)
        {
            _wakes.Add(wake);
        }
        var errorDelay = TimeSpan.FromMilliseconds(200);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await JobStore.RecoverAsync(_db, _options.StaleAfter, _resumableKinds, _options.MaxAttempts, stop);
                var job = await JobStore.ClaimAsync(_db, _kinds, _name, stop);
                errorDelay = TimeSpan.FromMilliseconds(200);
                if (job is not null)
                {
                    await RunAsync(job, stop);
                    continue;
                }
                using var poll = CancellationTokenSource.CreateLinkedTokenSource(stop);
                poll.CancelAfter(_options.PollInterval);
                try
                {
                    await wake.Reader.ReadAsync(poll.Token);
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _log.LogWarning("Job runner could not reach the job table ({Error}); retrying in {DelayMs} ms",
                    OutboxErrors.Describe(ex), (int)errorDelay.TotalMilliseconds);
                try
                {
                    await Task.Delay(errorDelay, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                errorDelay = TimeSpan.FromMilliseconds(Math.Min(errorDelay.TotalMilliseconds * 2, 10_000));
            }
        }
    }

    private async Task RunAsync(ClaimedJob job, CancellationToken stop)
    {
        var handler = _handlers[job.Kind];
        var context = new JobContext(_db, _options, job);
        using var running = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var heartbeat = HeartbeatAsync(context, running);
        _log.LogInformation("Job {JobId} ({Kind}) started, attempt {Attempt}", job.Id, job.Kind, job.Attempt);

        string status;
        JobError? error = null;
        try
        {
            await handler.RunAsync(context, running.Token);
            status = context.CancellationRequested ? "cancelled" : "succeeded";
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            status = handler.Resumable ? "queued" : "failed";
            error = handler.Resumable ? null : new JobError(null, null, null, "The API stopped while this job ran; what it finished is kept. Start the job again.");
        }
        catch (OperationCanceledException) when (context.Lost)
        {
            status = "lost";
        }
        catch (JobFailedException ex)
        {
            status = "failed";
            error = new JobError(null, null, null, ex.Message);
        }
        catch (Exception ex)
        {
            status = "failed";
            error = new JobError(null, null, null, "The job stopped on an unexpected error; what it finished is kept. Try again, or report it with the job id.");
            _log.LogError("Job {JobId} ({Kind}) failed: {Error}", job.Id, job.Kind, OutboxErrors.Describe(ex));
        }
        await running.CancelAsync();
        await heartbeat;

        if (status == "lost" || context.Lost)
        {
            _log.LogWarning("Job {JobId} ({Kind}) was taken over by another runner after its heartbeat went stale; this run's end is not recorded", job.Id, job.Kind);
            return;
        }
        try
        {
            await context.FlushAsync(CancellationToken.None);
            var finished = await JobStore.FinishAsync(_db, job.Id, job.Attempt, status, error, context.Result?.ToJsonString());
            _log.LogInformation("Job {JobId} ({Kind}) ended: {Status}{Lost}", job.Id, job.Kind, status, finished ? "" : " (no longer ours, not recorded)");
        }
        catch (Exception ex)
        {
            // The heartbeat stops with us: recovery finishes the job's record after StaleAfter.
            _log.LogWarning("Job {JobId} ({Kind}) could not record its end ({Error}); recovery will", job.Id, job.Kind, OutboxErrors.Describe(ex));
        }
        Interlocked.Increment(ref _finished);
    }

    private async Task HeartbeatAsync(JobContext context, CancellationTokenSource running)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(running.Token))
            {
                try
                {
                    await context.FlushAsync(running.Token);
                    if (context.Lost)
                    {
                        await running.CancelAsync();
                        return;
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _log.LogWarning("Job {JobId} heartbeat failed ({Error})", context.JobId, OutboxErrors.Describe(ex));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private Task ListenAsync(CancellationToken stop) => Database.NotificationListener.RunAsync(_db, "jobs",
        onNotification: _ => Wake(),
        onListening: Wake,
        onLost: (ex, delay) => _log.LogWarning("Job runner lost its LISTEN connection ({Error}); reconnecting in {DelayMs} ms",
            OutboxErrors.Describe(ex), (int)delay.TotalMilliseconds),
        stop);
}
