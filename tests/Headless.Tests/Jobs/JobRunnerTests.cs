using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Dapper;
using Headless.Api.Platform.Jobs;
using Headless.Contracts.Admin;
using Headless.Tests.Email;
using Headless.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Headless.Tests.Jobs;

/// <summary>The job runner against a real PostgreSQL: one runner per job, progress, cancellation,
/// recovery after a dead instance, and a clean stop.</summary>
public sealed class JobRunnerTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private NpgsqlDataSource _db = null!;
    private readonly List<JobRunner> _runners = [];

    public async Task InitializeAsync() => _db = NpgsqlDataSource.Create((await TestDatabase.CreateAsync()).App);

    public async Task DisposeAsync()
    {
        foreach (var runner in _runners)
        {
            await runner.StopAsync(CancellationToken.None);
            runner.Dispose();
        }
        await _db.DisposeAsync();
    }

    private static JobsOptions Fast() => new()
    {
        Concurrency = 2,
        PollInterval = TimeSpan.FromMilliseconds(200),
        ProgressInterval = TimeSpan.Zero,
        HeartbeatInterval = TimeSpan.FromMilliseconds(100),
        StaleAfter = TimeSpan.FromSeconds(5),
    };

    private sealed class TestHandler(string kind, Func<JobContext, CancellationToken, Task> run, bool resumable = false) : IJobHandler
    {
        public string Kind => kind;
        public bool Resumable => resumable;
        public Task RunAsync(JobContext context, CancellationToken ct) => run(context, ct);
    }

    private async Task<JobRunner> StartRunnerAsync(IJobHandler handler, JobsOptions? options = null)
    {
        var runner = new JobRunner(_db, [handler], options ?? Fast(), NullLogger<JobRunner>.Instance);
        _runners.Add(runner);
        await runner.StartAsync(CancellationToken.None);
        return runner;
    }

    private async Task<Guid> EnqueueAsync(string kind, JsonObject? input = null)
    {
        await using var conn = await _db.OpenConnectionAsync();
        return await JobStore.EnqueueAsync(conn, null, kind, input, "user:test");
    }

    private async Task<Job> LoadAsync(Guid id)
    {
        await using var conn = await _db.OpenConnectionAsync();
        return (await JobQueries.LoadAsync(conn, id, null, CancellationToken.None))!;
    }

    private async Task<Job> WaitForStatusAsync(Guid id, params string[] statuses)
    {
        Job job = null!;
        await Eventually.WaitUntilAsync(async () => Array.IndexOf(statuses, (job = await LoadAsync(id)).Status) >= 0, Timeout, $"job {id} is {string.Join(" or ", statuses)}");
        return job;
    }

    [Fact]
    public async Task Concurrent_claims_give_a_queued_job_to_exactly_one_claimer()
    {
        var id = await EnqueueAsync("claim-test");
        var claims = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() => JobStore.ClaimAsync(_db, ["claim-test"], $"claimer-{i}", CancellationToken.None))));

        var winners = claims.Where(c => c is not null).ToList();
        Assert.Single(winners);
        Assert.Equal(id, winners[0]!.Id);
        Assert.Equal(1, winners[0]!.Attempt);
        Assert.Equal("running", (await LoadAsync(id)).Status);
    }

    [Fact]
    public async Task Three_runners_run_every_job_once()
    {
        var runs = new ConcurrentDictionary<Guid, int>();
        var ids = new List<Guid>();
        for (var i = 0; i < 30; i++)
        {
            ids.Add(await EnqueueAsync("many"));
        }
        var handler = new TestHandler("many", async (ctx, ct) =>
        {
            runs.AddOrUpdate(ctx.JobId, 1, (_, n) => n + 1);
            await ctx.ReportAsync(1, ct: ct);
        });
        await Task.WhenAll(StartRunnerAsync(handler), StartRunnerAsync(handler), StartRunnerAsync(handler));

        foreach (var id in ids)
        {
            var job = await WaitForStatusAsync(id, "succeeded", "failed");
            Assert.Equal("succeeded", job.Status);
            Assert.Equal(1, job.Processed);
        }
        Assert.Equal(30, runs.Count);
        Assert.All(runs.Values, n => Assert.Equal(1, n));
    }

    [Fact]
    public async Task Progress_counts_percent_and_errors_are_visible_while_the_job_runs()
    {
        var halfway = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new TestHandler("progress", async (ctx, ct) =>
        {
            ctx.SetTotal(10);
            for (var i = 0; i < 5; i++)
            {
                await ctx.ReportAsync(i == 3 ? 0 : 1, i == 3 ? 1 : 0, i == 3 ? [new JobError(4, "Variant Price", null, "Not a price.")] : null, ct);
            }
            await ctx.FlushAsync(ct);
            await halfway.Task.WaitAsync(ct);
            await ctx.ReportAsync(5, ct: ct);
            ctx.Result = new JsonObject { ["done"] = true };
        });
        var id = await EnqueueAsync("progress");
        await StartRunnerAsync(handler);

        await Eventually.WaitUntilAsync(async () => (await LoadAsync(id)).Processed == 5, Timeout, "half the items are reported");
        var running = await LoadAsync(id);
        Assert.Equal("running", running.Status);
        Assert.Equal((10, 4, 1, 50), (running.Total!.Value, running.Succeeded, running.Failed, running.Percent!.Value));
        var error = Assert.Single(running.Errors);
        Assert.Equal((4, "Variant Price"), (error.Row!.Value, error.Column));

        halfway.SetResult();
        var done = await WaitForStatusAsync(id, "succeeded", "failed");
        Assert.Equal(("succeeded", 10, 9, 1, 100), (done.Status, done.Processed, done.Succeeded, done.Failed, done.Percent!.Value));
        Assert.True(done.Result!.Value.GetProperty("done").GetBoolean());
        Assert.NotNull(done.FinishedAt);
    }

    [Fact]
    public async Task Errors_are_capped_but_counted()
    {
        var options = Fast();
        options.MaxErrors = 3;
        var handler = new TestHandler("errors", async (ctx, ct) =>
        {
            for (var i = 0; i < 10; i++)
            {
                await ctx.ReportAsync(0, 1, [new JobError(i + 2, "Handle", null, "bad")], ct);
            }
        });
        var id = await EnqueueAsync("errors");
        await StartRunnerAsync(handler, options);
        var job = await WaitForStatusAsync(id, "succeeded", "failed");
        Assert.Equal(3, job.Errors.Count);
        Assert.Equal(10, job.ErrorCount);
        Assert.Equal([2, 3, 4], job.Errors.Select(e => e.Row!.Value));
    }

    [Fact]
    public async Task A_running_job_stops_when_cancellation_is_requested()
    {
        var handler = new TestHandler("endless", async (ctx, ct) =>
        {
            while (!ctx.CancellationRequested)
            {
                await ctx.ReportAsync(1, ct: ct);
                await Task.Delay(10, ct); // simulated work per item
            }
        });
        var id = await EnqueueAsync("endless");
        await StartRunnerAsync(handler);
        await Eventually.WaitUntilAsync(async () => (await LoadAsync(id)).Processed > 3, Timeout, "the job is running");

        await using (var conn = await _db.OpenConnectionAsync())
        {
            Assert.Equal("running", await JobStore.RequestCancelAsync(conn, id, CancellationToken.None));
        }
        var job = await WaitForStatusAsync(id, "cancelled", "succeeded", "failed");
        Assert.Equal("cancelled", job.Status);
        Assert.True(job.CancelRequested);
        Assert.True(job.Processed > 3);
    }

    [Fact]
    public async Task A_queued_job_is_cancelled_at_once_and_never_runs()
    {
        var id = await EnqueueAsync("never");
        await using (var conn = await _db.OpenConnectionAsync())
        {
            Assert.Equal("cancelled", await JobStore.RequestCancelAsync(conn, id, CancellationToken.None));
        }
        var ran = false;
        var runner = await StartRunnerAsync(new TestHandler("never", (_, _) =>
        {
            ran = true;
            return Task.CompletedTask;
        }));
        var later = await EnqueueAsync("never");
        await WaitForStatusAsync(later, "succeeded");
        Assert.Equal("cancelled", (await LoadAsync(id)).Status);
        // The runner counts a job finished just after it writes the status: wait for the count, then check it is one.
        await Email.Eventually.WaitUntilAsync(() => runner.Finished >= 1, TimeSpan.FromSeconds(10), "the runner counted the later job");
        Assert.Equal(1, runner.Finished);
        Assert.True(ran);
    }

    /// <summary>An instance that died leaves its job "running" with a heartbeat that no longer moves.</summary>
    private async Task<Guid> EnqueueOrphanAsync(string kind)
    {
        var id = await EnqueueAsync(kind);
        await using var conn = await _db.OpenConnectionAsync();
        await conn.ExecuteAsync("""
            update jobs set status = 'running', attempt = 1, runner = 'dead-instance', started_at = now() - interval '1 hour',
                            heartbeat_at = now() - interval '1 hour', processed = 7, succeeded = 7
            where id = @id
            """, new { id });
        return id;
    }

    [Fact]
    public async Task A_resumable_job_whose_instance_died_runs_again_and_the_dead_runner_cannot_write()
    {
        var id = await EnqueueOrphanAsync("resumable");
        var attempts = new ConcurrentBag<int>();
        await StartRunnerAsync(new TestHandler("resumable", async (ctx, ct) =>
        {
            attempts.Add(ctx.Attempt);
            ctx.SetTotal(2);
            await ctx.ReportAsync(2, ct: ct);
        }, resumable: true));

        var job = await WaitForStatusAsync(id, "succeeded", "failed");
        Assert.Equal("succeeded", job.Status);
        Assert.Equal([2], attempts);
        Assert.Equal(2, job.Processed);

        // The presumed-dead first attempt comes back: its writes are fenced off by the attempt number.
        var (owned, _) = await JobStore.AddProgressAsync(_db, id, 1, new Progress(5, 5, 0, null, [], 0), CancellationToken.None);
        Assert.False(owned);
        Assert.False(await JobStore.FinishAsync(_db, id, 1, "failed", null, null));
        Assert.Equal("succeeded", (await LoadAsync(id)).Status);
    }

    [Fact]
    public async Task A_job_that_cannot_resume_is_failed_with_a_reason_when_its_instance_died()
    {
        var id = await EnqueueOrphanAsync("one-shot");
        var ran = false;
        await StartRunnerAsync(new TestHandler("one-shot", (_, _) =>
        {
            ran = true;
            return Task.CompletedTask;
        }));

        var job = await WaitForStatusAsync(id, "failed", "succeeded");
        Assert.Equal("failed", job.Status);
        Assert.False(ran);
        Assert.Equal(7, job.Processed);
        Assert.Contains("stopped before it finished", Assert.Single(job.Errors).Message);
    }

    [Fact]
    public async Task A_live_runner_keeps_its_job_through_recovery_rounds()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = Fast();
        options.StaleAfter = TimeSpan.FromMilliseconds(500);
        var id = await EnqueueAsync("slow");
        await StartRunnerAsync(new TestHandler("slow", async (ctx, ct) => await release.Task.WaitAsync(ct), resumable: true), options);
        await WaitForStatusAsync(id, "running");

        // Another instance runs recovery repeatedly for longer than StaleAfter: the heartbeat keeps the job alive.
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (started.Elapsed < TimeSpan.FromSeconds(1.5))
        {
            Assert.Equal(0, await JobStore.RecoverAsync(_db, options.StaleAfter, ["slow"], 3, CancellationToken.None));
            await Task.Delay(100);
        }
        release.SetResult();
        var job = await WaitForStatusAsync(id, "succeeded", "failed");
        Assert.Equal("succeeded", job.Status);
    }

    [Fact]
    public async Task Stopping_the_instance_hands_a_resumable_job_back_and_fails_another()
    {
        var started = new ConcurrentDictionary<string, bool>();
        async Task Forever(JobContext ctx, CancellationToken ct)
        {
            started[ctx.Kind] = true;
            await ctx.ReportAsync(1, ct: ct);
            await Task.Delay(System.Threading.Timeout.Infinite, ct);
        }
        var resumable = await EnqueueAsync("forever-resumable");
        var oneShot = await EnqueueAsync("forever-one-shot");
        var runner = new JobRunner(_db, [new TestHandler("forever-resumable", Forever, resumable: true), new TestHandler("forever-one-shot", Forever)],
            Fast(), NullLogger<JobRunner>.Instance);
        await runner.StartAsync(CancellationToken.None);
        await Eventually.WaitUntilAsync(() => started.Count == 2, Timeout, "both jobs run");

        await runner.StopAsync(CancellationToken.None);
        runner.Dispose();

        var handedBack = await LoadAsync(resumable);
        Assert.Equal(("queued", 0), (handedBack.Status, handedBack.Processed));
        var failed = await LoadAsync(oneShot);
        Assert.Equal("failed", failed.Status);
        Assert.Contains("API stopped", Assert.Single(failed.Errors).Message);
    }
}
