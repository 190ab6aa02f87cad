using System.Collections.Concurrent;
using Dapper;
using Headless.Api.Platform.Outbox;
using Headless.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Headless.Tests.Email;

/// <summary>The generic outbox consumer the email sender is built on, against a real PostgreSQL.</summary>
public sealed class OutboxConsumerTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private NpgsqlDataSource _db = null!;

    public async Task InitializeAsync() => _db = NpgsqlDataSource.Create((await TestDatabase.CreateAsync()).App);

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private static OutboxConsumerOptions Fast(int batchSize = 100, int maxAttempts = 8) => new()
    {
        BatchSize = batchSize,
        MaxAttempts = maxAttempts,
        PollInterval = TimeSpan.FromMilliseconds(200),
        RetryBaseDelay = TimeSpan.FromMilliseconds(50),
        RetryMaxDelay = TimeSpan.FromMilliseconds(200),
    };

    private sealed class RecordingConsumer(
        NpgsqlDataSource db, string name, string topic, bool fromBeginning = false,
        Func<OutboxEvent, Task>? onEvent = null, OutboxConsumerOptions? options = null, Func<Task>? onEndRound = null)
        : OutboxConsumer(db, options ?? Fast(), NullLogger.Instance)
    {
        protected override Task EndRoundAsync(CancellationToken ct) => onEndRound?.Invoke() ?? Task.CompletedTask;

        public ConcurrentQueue<OutboxEvent> Handled { get; } = new();

        public override string Name => name;

        public override IReadOnlySet<string> Topics { get; } = new HashSet<string> { topic };

        protected override bool StartFromBeginning => fromBeginning;

        public string[] HandledIds => [.. Handled.Select(e => e.AggregateId)];

        protected override async Task HandleAsync(OutboxEvent e, CancellationToken ct)
        {
            if (onEvent is not null)
            {
                await onEvent(e);
            }
            Handled.Enqueue(e);
        }
    }

    private async Task InsertAsync(string topic, string aggregateId, NpgsqlConnection? conn = null, NpgsqlTransaction? tx = null)
    {
        if (conn is null)
        {
            await using var own = await _db.OpenConnectionAsync();
            await InsertAsync(topic, aggregateId, own);
            return;
        }
        await conn.ExecuteAsync("insert into outbox (topic, aggregate_type, aggregate_id, payload) values (@topic, 'test', @aggregateId, '{\"n\": 1}')",
            new { topic, aggregateId }, tx);
    }

    private static async Task StartedAsync(params RecordingConsumer[] consumers)
    {
        foreach (var consumer in consumers)
        {
            await consumer.StartAsync(CancellationToken.None);
        }
        await Eventually.WaitUntilAsync(() => consumers.All(c => c.Rounds > 0), Timeout, "every consumer has read the outbox once");
    }

    private static async Task StopAsync(params RecordingConsumer[] consumers)
    {
        foreach (var consumer in consumers)
        {
            await consumer.StopAsync(CancellationToken.None);
            consumer.Dispose();
        }
    }

    /// <summary>Waits for a full round that started after this call, on every consumer.</summary>
    private static async Task NextRoundAsync(params RecordingConsumer[] consumers)
    {
        var before = consumers.Select(c => c.Rounds).ToArray();
        foreach (var consumer in consumers)
        {
            consumer.Wake();
        }
        await Eventually.WaitUntilAsync(() => consumers.Select((c, i) => c.Rounds >= before[i] + 2).All(x => x), Timeout, "another round ran");
    }

    [Fact]
    public async Task An_event_whose_transaction_commits_after_a_later_one_is_not_skipped()
    {
        var consumer = new RecordingConsumer(_db, "late-commit", "test.late");
        await StartedAsync(consumer);
        try
        {
            // The slow writer takes its transaction id and outbox id first, then commits after a faster writer.
            await using var slow = await _db.OpenConnectionAsync();
            await using var slowTx = await slow.BeginTransactionAsync();
            await InsertAsync("test.late", "slow", slow, slowTx);
            await InsertAsync("test.late", "fast");

            await NextRoundAsync(consumer);
            Assert.Empty(consumer.Handled);

            await slowTx.CommitAsync();
            await Eventually.WaitUntilAsync(() => consumer.Handled.Count == 2, Timeout, "both events are handled");
            Assert.Equal(["slow", "fast"], consumer.HandledIds);
        }
        finally
        {
            await StopAsync(consumer);
        }
    }

    [Fact]
    public async Task A_slow_handler_does_not_hold_back_what_other_readers_see()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task Block(OutboxEvent e)
        {
            entered.TrySetResult();
            await release.Task;
        }
        var consumer = new RecordingConsumer(_db, "slow-handler", "test.slow", onEvent: Block);
        await StartedAsync(consumer);
        try
        {
            await InsertAsync("test.slow", "blocking");
            await entered.Task.WaitAsync(Timeout);
            await InsertAsync("test.other", "written-meanwhile");

            // The change feed and the other consumers read a row once its txid is below the oldest running
            // transaction id: the claimed consumer, busy in its handler, must not be holding one.
            await Eventually.WaitUntilAsync(async () =>
            {
                await using var conn = await _db.OpenConnectionAsync();
                return await conn.ExecuteScalarAsync<bool>(
                    "select pg_snapshot_xmin(pg_current_snapshot()) > (select txid from outbox where aggregate_id = 'written-meanwhile')");
            }, Timeout, "the row written during the slow handler is readable");
        }
        finally
        {
            release.TrySetResult();
            await StopAsync(consumer);
        }
        Assert.Equal(["blocking"], consumer.HandledIds);
    }

    [Fact]
    public async Task Two_instances_of_one_consumer_never_both_handle_an_event()
    {
        var deliveries = new ConcurrentDictionary<long, int>();
        async Task Count(OutboxEvent e)
        {
            deliveries.AddOrUpdate(e.Id, 1, (_, n) => n + 1);
            await Task.Delay(2);
        }
        var a = new RecordingConsumer(_db, "pair", "test.pair", fromBeginning: true, Count, Fast(batchSize: 7));
        var b = new RecordingConsumer(_db, "pair", "test.pair", fromBeginning: true, Count, Fast(batchSize: 7));
        await StartedAsync(a, b);
        try
        {
            // 12 writers, 10 transactions each, with events of another topic mixed in.
            await Task.WhenAll(Enumerable.Range(0, 12).Select(w => Task.Run(async () =>
            {
                for (var t = 0; t < 10; t++)
                {
                    await using var conn = await _db.OpenConnectionAsync();
                    await using var tx = await conn.BeginTransactionAsync();
                    await InsertAsync("test.pair", $"w{w}-t{t}", conn, tx);
                    await InsertAsync("test.other", $"w{w}-t{t}", conn, tx);
                    await tx.CommitAsync();
                }
            })));

            await Eventually.WaitUntilAsync(() => deliveries.Count == 120, Timeout, "all 120 events are handled");
            await NextRoundAsync(a, b);
            Assert.All(deliveries, d => Assert.Equal(1, d.Value));
            Assert.Equal(120, a.Handled.Count + b.Handled.Count);
            Assert.All(a.Handled.Concat(b.Handled), e => Assert.Equal("test.pair", e.Topic));
        }
        finally
        {
            await StopAsync(a, b);
        }
    }

    [Fact]
    public async Task A_failing_event_is_retried_with_backoff_across_instances_then_dead_lettered_and_passed()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var tries = new ConcurrentDictionary<string, ConcurrentQueue<long>>();
        var succeeded = new ConcurrentQueue<string>();
        Task Handle(OutboxEvent e)
        {
            var mine = tries.GetOrAdd(e.AggregateId, _ => new ConcurrentQueue<long>());
            mine.Enqueue(clock.ElapsedMilliseconds);
            switch (e.AggregateId)
            {
                case "flaky" when mine.Count <= 2:
                    throw new TimeoutException("flaky");
                case "poison":
                    throw new InvalidOperationException("cannot deliver to someone@example.test");
                default:
                    succeeded.Enqueue(e.AggregateId);
                    return Task.CompletedTask;
            }
        }
        // Two instances: the retry count and the backoff live in the consumer's row, not in one process.
        var a = new RecordingConsumer(_db, "failing", "test.fail", onEvent: Handle, options: Fast(maxAttempts: 3));
        var b = new RecordingConsumer(_db, "failing", "test.fail", onEvent: Handle, options: Fast(maxAttempts: 3));
        await StartedAsync(a, b);
        try
        {
            await InsertAsync("test.fail", "flaky");
            await InsertAsync("test.fail", "poison");
            await InsertAsync("test.fail", "good");
            await Eventually.WaitUntilAsync(() => succeeded.Contains("good"), Timeout, "the event after the poison one is handled");

            Assert.Equal(["flaky", "good"], succeeded);
            Assert.Equal(3, tries["flaky"].Count);
            Assert.Equal(3, tries["poison"].Count);
            Assert.Equal(2 + 3, a.FailedAttempts + b.FailedAttempts);
            // Backoff 50 ms, then 100 ms (Fast()), whichever instance makes the next try.
            foreach (var id in new[] { "flaky", "poison" })
            {
                var at = tries[id].ToArray();
                Assert.True(at[1] - at[0] >= 45 && at[2] - at[1] >= 95, $"{id} tried at {string.Join(", ", at)} ms");
            }

            // The dead letter commits with the round that handled "good", a moment after the handler ran.
            await using var conn = await _db.OpenConnectionAsync();
            await Eventually.WaitUntilAsync(async () => await conn.ExecuteScalarAsync<int>("select count(*) from outbox_failures") > 0,
                Timeout, "the dead letter is committed");
            var failure = await conn.QuerySingleAsync<(string Consumer, string Topic, int Attempts, string Error)>(
                "select f.consumer, f.topic, f.attempts, f.error from outbox_failures f join outbox o on o.id = f.outbox_id where o.aggregate_id = 'poison'");
            Assert.Equal(("failing", "test.fail", 3), (failure.Consumer, failure.Topic, failure.Attempts));
            Assert.StartsWith("InvalidOperationException: cannot deliver to <redacted>", failure.Error);
            Assert.Equal(1, await conn.ExecuteScalarAsync<int>("select count(*) from outbox_failures"));
            Assert.Equal(0, await conn.ExecuteScalarAsync<int>("select retry_attempts from outbox_consumers where name = 'failing'"));
        }
        finally
        {
            await StopAsync(a, b);
        }
    }

    [Fact]
    public async Task A_new_consumer_starts_at_the_head_unless_it_asks_for_the_beginning_and_later_resumes_where_it_was()
    {
        await InsertAsync("test.start", "old");
        // "The head" is the oldest transaction still running anywhere on the server (xids are server-wide,
        // and other test classes share the server): wait until the one that wrote "old" is behind it.
        await Eventually.WaitUntilAsync(async () =>
        {
            await using var conn = await _db.OpenConnectionAsync();
            return await conn.ExecuteScalarAsync<bool>(
                "select pg_snapshot_xmin(pg_current_snapshot()) > (select txid from outbox where aggregate_id = 'old')");
        }, Timeout, "every transaction older than the one that wrote \"old\" has finished");
        var head = new RecordingConsumer(_db, "from-head", "test.start");
        var beginning = new RecordingConsumer(_db, "from-beginning", "test.start", fromBeginning: true);
        await StartedAsync(head, beginning);
        await InsertAsync("test.start", "new");
        await Eventually.WaitUntilAsync(() => head.Handled.Count == 1 && beginning.Handled.Count == 2, Timeout, "the new event is handled");
        await StopAsync(head, beginning);
        Assert.Equal(["new"], head.HandledIds);
        Assert.Equal(["old", "new"], beginning.HandledIds);

        await InsertAsync("test.start", "while-stopped");
        var restarted = new RecordingConsumer(_db, "from-head", "test.start");
        await StartedAsync(restarted);
        try
        {
            await Eventually.WaitUntilAsync(() => restarted.Handled.Count == 1, Timeout, "the event written while stopped is handled");
            await NextRoundAsync(restarted);
            Assert.Equal(["while-stopped"], restarted.HandledIds);
        }
        finally
        {
            await StopAsync(restarted);
        }
    }

    [Fact]
    public async Task A_new_consumer_has_its_head_before_its_start_returns_so_an_event_written_right_after_is_handled()
    {
        var consumer = new RecordingConsumer(_db, "registered-at-start", "test.at-start");
        await consumer.StartAsync(CancellationToken.None);
        try
        {
            await using (var conn = await _db.OpenConnectionAsync())
            {
                Assert.Equal(1, await conn.ExecuteScalarAsync<int>("select count(*)::int from outbox_consumers where name = 'registered-at-start'"));
            }
            await InsertAsync("test.at-start", "right-after-start");
            await Eventually.WaitUntilAsync(() => consumer.Handled.Count == 1, Timeout, "the event written right after the start is handled");
            Assert.Equal(["right-after-start"], consumer.HandledIds);
        }
        finally
        {
            await StopAsync(consumer);
        }
    }

    [Fact]
    public async Task When_the_end_of_a_round_fails_the_position_stays_and_its_events_come_again()
    {
        var failures = 1;
        // The first round that hands out an event fails at its end (a batch write that failed); later ones succeed.
        RecordingConsumer failing = null!;
        failing = new RecordingConsumer(_db, "end-of-round", "test.batch", onEndRound: () =>
            !failing.Handled.IsEmpty && Interlocked.Exchange(ref failures, 0) == 1
                ? Task.FromException(new InvalidOperationException("the batch could not be written"))
                : Task.CompletedTask);
        await StartedAsync(failing);
        try
        {
            await InsertAsync("test.batch", "a");
            await Eventually.WaitUntilAsync(() => failing.Handled.Count >= 2, Timeout, "the event is handed out again after the failed end of round");
            await NextRoundAsync(failing);
            Assert.Equal(["a", "a"], failing.HandledIds);
        }
        finally
        {
            await StopAsync(failing);
        }
    }

    [Fact]
    public async Task The_poll_walks_the_outbox_index_even_as_a_generic_plan()
    {
        var logins = await TestDatabase.CreateAsync();
        await using (var owner = new NpgsqlConnection(logins.Owner))
        {
            await owner.OpenAsync();
            await owner.ExecuteAsync("""
                insert into outbox (topic, aggregate_type, aggregate_id)
                select 'test.plan', 'test', n::text from generate_series(1, 20000) n;
                analyze outbox;
                """);
        }
        await using var conn = new NpgsqlConnection(logins.App);
        await conn.OpenAsync();
        // What Npgsql's auto-prepared statement turns into after a few executions: one plan for any position.
        var sql = OutboxConsumer.ReadSql.Replace("@Topics", "$1", StringComparison.Ordinal).Replace("@TxId", "$2", StringComparison.Ordinal)
            .Replace("@Id", "$3", StringComparison.Ordinal).Replace("@Take", "$4", StringComparison.Ordinal);
        await conn.ExecuteAsync($"set plan_cache_mode = force_generic_plan; prepare poll (text[], text, bigint, int) as {sql}");
        var plan = string.Join("\n", await conn.QueryAsync<string>("explain execute poll ('{test.plan}', '0', 0, 100)"));
        Assert.DoesNotContain("Sort", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Seq Scan", plan, StringComparison.Ordinal);
        Assert.Contains("Index Scan using outbox_txid", plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_consumer_with_a_window_of_four_handles_four_events_at_once_and_moves_past_all()
    {
        var inFlight = 0;
        var fourAtOnce = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task Handle(OutboxEvent e)
        {
            // Every handler waits until four are in flight together: one at a time would never get there.
            if (Interlocked.Increment(ref inFlight) == 4)
            {
                fourAtOnce.TrySetResult();
            }
            await fourAtOnce.Task.WaitAsync(Timeout);
        }
        var options = Fast();
        options.MaxConcurrentHandlers = 4;
        var consumer = new RecordingConsumer(_db, "window", "test.window", onEvent: Handle, options: options);
        await StartedAsync(consumer);
        try
        {
            await using (var conn = await _db.OpenConnectionAsync())
            await using (var tx = await conn.BeginTransactionAsync())
            {
                foreach (var id in new[] { "a", "b", "other", "c", "d", "e", "f", "g", "h" })
                {
                    await InsertAsync(id == "other" ? "test.elsewhere" : "test.window", id, conn, tx);
                }
                await tx.CommitAsync();
            }
            await Eventually.WaitUntilAsync(() => consumer.Handled.Count == 8, Timeout, "all eight events are handled");
            await fourAtOnce.Task.WaitAsync(Timeout);
            await NextRoundAsync(consumer);
            Assert.Equal(8, consumer.Handled.Count);
            Assert.Equal(["a", "b", "c", "d", "e", "f", "g", "h"], consumer.HandledIds.Order());
        }
        finally
        {
            await StopAsync(consumer);
        }
    }

    [Fact]
    public async Task In_a_window_the_first_failure_in_outbox_order_holds_back_the_events_after_it()
    {
        var failuresLeft = 1;
        Task Handle(OutboxEvent e) =>
            e.AggregateId == "b" && Interlocked.Exchange(ref failuresLeft, 0) == 1
                ? Task.FromException(new InvalidOperationException("relay down"))
                : Task.CompletedTask;
        var options = Fast();
        options.MaxConcurrentHandlers = 4;
        var consumer = new RecordingConsumer(_db, "window-failure", "test.wfail", onEvent: Handle, options: options);
        await StartedAsync(consumer);
        try
        {
            await using (var conn = await _db.OpenConnectionAsync())
            await using (var tx = await conn.BeginTransactionAsync())
            {
                foreach (var id in new[] { "a", "b", "c", "d" })
                {
                    await InsertAsync("test.wfail", id, conn, tx);
                }
                await tx.CommitAsync();
            }
            // a passes; b fails once; c and d succeeded beside it but are handed out again with b (at-least-once);
            // a is not.
            await Eventually.WaitUntilAsync(() => consumer.HandledIds.Count(id => id == "d") == 2, Timeout, "the events after the failure came again");
            await NextRoundAsync(consumer);
            Assert.Equal(["a", "b", "c", "c", "d", "d"], consumer.HandledIds.Order());
            Assert.Equal(1, consumer.FailedAttempts);
            await using var check = await _db.OpenConnectionAsync();
            Assert.Equal(0, await check.ExecuteScalarAsync<int>("select retry_attempts from outbox_consumers where name = 'window-failure'"));
            Assert.Equal(0, await check.ExecuteScalarAsync<int>("select count(*) from outbox_failures"));
        }
        finally
        {
            await StopAsync(consumer);
        }
    }
}
