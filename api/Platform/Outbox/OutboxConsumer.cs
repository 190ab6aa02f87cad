using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Dapper;
using Headless.Api.Platform.Telemetry;
using Npgsql;

namespace Headless.Api.Platform.Outbox;

/// <summary>
/// A background reader of the outbox with its own position (a row in `outbox_consumers`): the base of
/// the email sender, and later the search indexer, the storefront rebuild and outbound webhooks.
/// <para>Each round runs in one transaction: claim the consumer (only one instance works a consumer at a
/// time; an instance that finds it claimed skips and waits for the next wake-up), read the next rows
/// after the position in (txid, id) order, but only rows whose transaction id is below the snapshot's
/// xmin (every transaction that could still add a smaller one has finished: the change-feed rule, so a
/// late commit is never skipped), hand the ones of <see cref="Topics"/> to <see cref="HandleAsync"/>
/// (one at a time, or in windows of <see cref="OutboxConsumerOptions.MaxConcurrentHandlers"/> at once for a
/// handler that waits on the network, like an SMTP send), then move the position past everything read and commit.</para>
/// <para>The claim is `pg_try_advisory_xact_lock` on the consumer's name, not `select ... for update
/// skip locked` on its row: a row lock gives the transaction an xid for as long as the handlers run,
/// and a running xid holds back `pg_snapshot_xmin` for the whole server, so a slow handler (an SMTP
/// send) would delay the catalog change feed and every other consumer. This way the round holds an xid
/// only for its final writes. The position update checks the position it started from, so a reset made
/// by hand during a round wins.</para>
/// <para>Woken by LISTEN outbox and a fallback poll. Delivery is at-least-once (a crash between a
/// handled event and the commit repeats it), so handlers must be idempotent. A failing event is retried
/// with exponential backoff (capped, with jitter), holding back the events behind it, in order: a failure
/// that is the whole dependency's (an SMTP relay that is down) would fail every event behind it too, so
/// the consumer waits it out instead of trying them all. Its try count and next try time live in the
/// consumer's row, so they hold across instances. A handler that knows an event alone can never succeed
/// (a recipient refused for good) throws <see cref="OutboxEventRejectedException"/> so the rest go on.
/// After <see cref="OutboxConsumerOptions.MaxAttempts"/> tries (at once for an
/// <see cref="OutboxEventRejectedException"/>) it is written to `outbox_failures` and passed.</para>
/// </summary>
public abstract class OutboxConsumer : BackgroundService
{
    private readonly NpgsqlDataSource _db;
    private readonly OutboxConsumerOptions _options;
    private readonly ILogger _log;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private string[]? _topics;
    private long _rounds;
    private long _failedAttempts;
    private bool _registered;

    protected OutboxConsumer(NpgsqlDataSource db, OutboxConsumerOptions options, ILogger logger)
    {
        _db = db;
        _options = options.Validate();
        _log = logger;
    }

    /// <summary>The database the consumer reads; handlers may use it for their own bookkeeping.</summary>
    protected NpgsqlDataSource Db => _db;

    /// <summary>How long a failing event is retried before it is dead-lettered (<see cref="OutboxConsumerOptions.RetryWindow"/>).</summary>
    protected TimeSpan RetryWindow => _options.RetryWindow;

    /// <summary>The consumer's key in `outbox_consumers`; every instance of one consumer shares it.</summary>
    public abstract string Name { get; }

    /// <summary>The topics handed to <see cref="HandleAsync"/>; the position still moves past all others.</summary>
    public abstract IReadOnlySet<string> Topics { get; }

    /// <summary>Where a consumer starts the first time its row is created: false (the default) starts at
    /// the current head and does not replay history; true starts from the first outbox row.</summary>
    protected virtual bool StartFromBeginning => false;

    /// <summary>Handles one event. Must be idempotent: an event can arrive more than once.</summary>
    protected abstract Task HandleAsync(OutboxEvent e, CancellationToken ct);

    /// <summary>Called once per round after its events were handed to <see cref="HandleAsync"/> and before the
    /// position moves past them: a consumer that collects work per event does it here in one go. Throwing
    /// leaves the position where it was, so the same events come again.</summary>
    protected virtual Task EndRoundAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>Rounds that read the outbox so far (diagnostics, and a way for tests to know a round ran).</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    /// <summary>Handler failures so far, retried or dead-lettered.</summary>
    public long FailedAttempts => Interlocked.Read(ref _failedAttempts);

    /// <summary>Asks for a round now instead of at the next notification or poll.</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>Registers the consumer before the host serves requests: a first start registers it at the outbox
    /// head, and an event written once the instance answers (a webhook endpoint created, then an order paid) must
    /// come after that head, not race the background loop's first round. A database that cannot be reached yet
    /// does not hold the start-up: the loop registers once it can.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await RegisterAsync(bounded.Token);
            _registered = true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            _log.LogWarning("Outbox consumer {Consumer} could not register at start-up ({Error}); it registers on its first round",
                Name, OutboxErrors.Describe(ex));
        }
        await base.StartAsync(cancellationToken);
    }

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _topics = [.. Topics];
        var listening = ListenAsync(stoppingToken);
        try
        {
            await RunAsync(stoppingToken);
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: whatever was not committed is handed out again on the next start.
        }
        finally
        {
            await listening;
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var registered = _registered;
        var errorDelay = _options.RetryBaseDelay;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (!registered)
                {
                    await RegisterAsync(stop);
                    registered = true;
                }
                var round = await RunRoundAsync(stop);
                errorDelay = _options.RetryBaseDelay;
                switch (round.Outcome)
                {
                    case Outcome.MoreWaiting:
                        continue;
                    case Outcome.RetryLater:
                        // Not woken early by notifications: the backoff is the point.
                        await Task.Delay(round.Delay, stop);
                        continue;
                    default:
                        // Caught up, or another instance holds the consumer: wait for a write or the poll,
                        // then a moment more, so a burst of writes (a sale) is handled in one round. The moment
                        // varies (0.5 to 1.5 times WakeCoalesce): every instance is woken by the same NOTIFY, and
                        // with one fixed delay the instance that reacts fastest can claim nearly every round (in CI,
                        // one of two workers sent every mail for 120 s), leaving the other idle.
                        await WaitForWakeAsync(stop);
                        if (_options.WakeCoalesce > TimeSpan.Zero)
                        {
                            await Task.Delay(_options.WakeCoalesce * (0.5 + Random.Shared.NextDouble()), stop);
                        }
                        continue;
                }
            }
            catch (Exception ex) when (!stop.IsCancellationRequested)
            {
                // The database, not an event: keep the position, try again after a growing pause.
                _log.LogWarning("Outbox consumer {Consumer} could not read the outbox ({Error}); retrying in {DelayMs} ms",
                    Name, OutboxErrors.Describe(ex), (int)errorDelay.TotalMilliseconds);
                await Task.Delay(errorDelay, stop);
                var cap = Math.Max(_options.RetryMaxDelay.TotalMilliseconds, 200);
                errorDelay = TimeSpan.FromMilliseconds(Math.Min(Math.Max(errorDelay.TotalMilliseconds * 2, 200), cap));
            }
        }
    }

    private async Task RegisterAsync(CancellationToken ct)
    {
        await using var conn = await _db.OpenConnectionAsync(ct);
        // A new consumer starting at the head takes (xmin, 0): every row of a finished transaction is
        // history, every row of a transaction still running (or yet to start) is delivered.
        await conn.ExecuteAsync(new CommandDefinition("""
            insert into outbox_consumers (name, position_txid, position_id, updated_at)
            values (@Name,
                    case when @StartFromBeginning then '0'::xid8 else pg_snapshot_xmin(pg_current_snapshot()) end,
                    0, now())
            on conflict (name) do nothing
            """, new { Name, StartFromBeginning }, cancellationToken: ct));
    }

    // Payloads are only fetched for the topics we handle; the rest are read to move past them. The columns
    // are qualified: a bare `order by txid` names the output column `TxId` (a bigint), which no index can
    // supply, and the generic plan of that (auto-prepared) scanned and sorted the whole outbox on every poll.
    internal const string ReadSql = """
        select id as Id, txid::text::bigint as TxId, topic as Topic, aggregate_type as AggregateType,
               aggregate_id as AggregateId, case when topic = any(@Topics) then payload::text end as Payload,
               created_at as CreatedAt, trace_parent as TraceParent
        from outbox o
        where (o.txid, o.id) > (@TxId::text::xid8, @Id)
          and o.txid < pg_snapshot_xmin(pg_current_snapshot())
        order by o.txid, o.id
        limit @Take
        """;

    private async Task<Round> RunRoundAsync(CancellationToken stop)
    {
        await using var conn = await _db.OpenConnectionAsync(stop);
        await using var tx = await conn.BeginTransactionAsync(stop);
        var claimed = await conn.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select pg_try_advisory_xact_lock(hashtextextended('outbox_consumer:' || @Name, 0))", new { Name }, tx, cancellationToken: stop));
        if (!claimed)
        {
            return new Round(Outcome.Busy, TimeSpan.Zero);
        }
        var state = await conn.QuerySingleOrDefaultAsync<ConsumerState>(new CommandDefinition("""
            select position_txid::text::bigint as TxId, position_id as Id, retry_outbox_id as RetryOutboxId,
                   retry_attempts as RetryAttempts, retry_at as RetryAt, clock_timestamp() as Now
            from outbox_consumers where name = @Name
            """, new { Name }, tx, cancellationToken: stop));
        if (state is null)
        {
            // The row was deleted by hand: register again (from the start or the head, as on first run).
            await tx.CommitAsync(stop);
            await RegisterAsync(stop);
            return new Round(Outcome.MoreWaiting, TimeSpan.Zero);
        }
        if (state.RetryAt is { } retryAt && retryAt > state.Now)
        {
            // Another instance (or we) failed on the next event: its backoff holds for every instance.
            return new Round(Outcome.RetryLater, retryAt - state.Now);
        }

        var rows = (await conn.QueryAsync<Row>(new CommandDefinition(ReadSql,
            new { Topics = _topics, TxId = state.TxId.ToString(CultureInfo.InvariantCulture), state.Id, Take = _options.BatchSize },
            tx, cancellationToken: stop))).AsList();
        Interlocked.Increment(ref _rounds);

        var outcome = rows.Count == _options.BatchSize ? Outcome.MoreWaiting : Outcome.CaughtUp;
        var reached = (state.TxId, state.Id);
        var retry = new RetryState(state.RetryOutboxId, state.RetryAttempts, state.RetryAt, DelayMs: -1);
        var deadLetters = new List<DeadLetter>();
        var started = Environment.TickCount64;
        for (var next = 0; next < rows.Count;)
        {
            if (Environment.TickCount64 - started > _options.MaxRoundDuration.TotalMilliseconds)
            {
                // Commit what is done now and then, so a crash repeats little and progress is visible.
                outcome = Outcome.MoreWaiting;
                break;
            }
            var window = NextWindow(rows, next);
            next += window.Count;
            var results = await Task.WhenAll(window.Select(row => row.Payload is null ? Task.FromResult<Exception?>(null) : HandleRowAsync(row, stop)));
            var stopped = false;
            for (var i = 0; i < window.Count && !stopped; i++)
            {
                var (row, error) = (window[i], results[i]);
                if (row.Payload is not null && error is null && retry.OutboxId == row.Id)
                {
                    retry = RetryState.None;
                }
                else if (row.Payload is not null && error is OperationCanceledException && stop.IsCancellationRequested)
                {
                    stopped = true;
                    continue;
                }
                else if (row.Payload is not null && error is not null)
                {
                    // The first failure in outbox order decides, as if the window had run one event at a time. Events
                    // after it that succeeded are handed out again with it later (handlers are idempotent).
                    var attempt = (retry.OutboxId == row.Id ? retry.Attempts : 0) + 1;
                    if (attempt < _options.MaxAttempts && error is not OutboxEventRejectedException)
                    {
                        var delay = _options.JitteredRetryDelay(attempt);
                        retry = new RetryState(row.Id, attempt, null, delay.TotalMilliseconds);
                        _log.LogWarning("Outbox consumer {Consumer} failed on event {OutboxId} ({Topic}), try {Attempt} of {MaxAttempts}: {Error}; retrying in {DelayMs} ms",
                            Name, row.Id, row.Topic, attempt, _options.MaxAttempts, OutboxErrors.Describe(error), (int)delay.TotalMilliseconds);
                        outcome = Outcome.RetryLater;
                        stopped = true;
                        continue;
                    }
                    retry = RetryState.None;
                    deadLetters.Add(new DeadLetter(Name, row.Id, row.Topic, attempt, OutboxErrors.ForStorage(error)));
                    _log.LogError("Outbox consumer {Consumer} gave up on event {OutboxId} ({Topic}) after {Attempts} tries: {Error}; it is recorded in outbox_failures",
                        Name, row.Id, row.Topic, attempt, OutboxErrors.Describe(error));
                }
                reached = (row.TxId, row.Id);
            }
            if (stopped)
            {
                break;
            }
        }

        // Work the handlers deferred to the end of the round (a batch) is done before the position moves
        // past its events; if it fails, nothing is committed and the round is read again.
        await EndRoundAsync(stop);

        // Saved even when stopping, so events already handled are not handed out again. The position
        // only moves from where this round found it: a reset made by hand meanwhile wins.
        if (deadLetters.Count > 0)
        {
            await conn.ExecuteAsync(new CommandDefinition("""
                insert into outbox_failures (consumer, outbox_id, topic, attempts, error, failed_at)
                values (@Consumer, @OutboxId, @Topic, @Attempts, @Error, now())
                on conflict (consumer, outbox_id) do update
                    set attempts = excluded.attempts, error = excluded.error, failed_at = excluded.failed_at
                """, deadLetters, tx, cancellationToken: CancellationToken.None));
        }
        var current = new RetryState(state.RetryOutboxId, state.RetryAttempts, state.RetryAt, DelayMs: -1);
        if (reached != (state.TxId, state.Id) || retry != current)
        {
            var saved = await conn.ExecuteAsync(new CommandDefinition("""
                update outbox_consumers
                set position_txid = @TxId::text::xid8, position_id = @Id, updated_at = now(),
                    retry_outbox_id = @RetryOutboxId, retry_attempts = @RetryAttempts,
                    retry_at = case when @RetryDelayMs >= 0 then clock_timestamp() + @RetryDelayMs * interval '1 millisecond'
                                    else @RetryAt::timestamptz end
                where name = @Name and position_txid = @FromTxId::text::xid8 and position_id = @FromId
                """, new
            {
                TxId = reached.TxId.ToString(CultureInfo.InvariantCulture),
                reached.Id,
                RetryOutboxId = retry.OutboxId,
                RetryAttempts = retry.Attempts,
                RetryDelayMs = retry.DelayMs,
                retry.RetryAt,
                Name,
                FromTxId = state.TxId.ToString(CultureInfo.InvariantCulture),
                FromId = state.Id,
            }, tx, cancellationToken: CancellationToken.None));
            if (saved == 0)
            {
                _log.LogWarning("Outbox consumer {Consumer}: its position was changed by someone else during a round; continuing from the new one", Name);
                outcome = Outcome.MoreWaiting;
            }
        }
        await tx.CommitAsync(CancellationToken.None);
        stop.ThrowIfCancellationRequested();
        return new Round(outcome, TimeSpan.FromMilliseconds(Math.Max(retry.DelayMs, 0)));
    }

    /// <summary>The rows from <paramref name="start"/> up to <see cref="OutboxConsumerOptions.MaxConcurrentHandlers"/> events
    /// of this consumer's topics; rows of other topics in between only move the position.</summary>
    private List<Row> NextWindow(List<Row> rows, int start)
    {
        var window = new List<Row>();
        var events = 0;
        for (var i = start; i < rows.Count; i++)
        {
            if (rows[i].Payload is not null)
            {
                if (events == _options.MaxConcurrentHandlers)
                {
                    break;
                }
                events++;
            }
            window.Add(rows[i]);
        }
        return window;
    }

    /// <summary>Runs the handler for one row; its failure is returned, not thrown, so the window's others finish.</summary>
    private async Task<Exception?> HandleRowAsync(Row row, CancellationToken stop)
    {
        var e = new OutboxEvent(row.Id, row.TxId, row.Topic, row.AggregateType, row.AggregateId,
            JsonNode.Parse(row.Payload!) as JsonObject ?? [], DateTime.SpecifyKind(row.CreatedAt, DateTimeKind.Utc), row.TraceParent);
        using var span = OutboxTracing.StartHandling(Name, e);
        try
        {
            await HandleAsync(e, stop);
            return null;
        }
        catch (Exception ex)
        {
            if (!(ex is OperationCanceledException && stop.IsCancellationRequested))
            {
                span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, OutboxErrors.Describe(ex));
                Interlocked.Increment(ref _failedAttempts);
            }
            return ex;
        }
    }

    private async Task WaitForWakeAsync(CancellationToken stop)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(_options.PollInterval);
        try
        {
            await _wake.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
        }
    }

    // Anything committed while we were not listening is found by the next round (woken on listening). On a
    // lost connection the poll keeps the consumer going meanwhile; only the wake-up latency suffers.
    private Task ListenAsync(CancellationToken stop) => Database.NotificationListener.RunAsync(_db, "outbox",
        onNotification: _ => Wake(),
        onListening: Wake,
        onLost: (ex, delay) => _log.LogWarning("Outbox consumer {Consumer} lost its LISTEN connection ({Error}); reconnecting in {DelayMs} ms",
            Name, OutboxErrors.Describe(ex), (int)delay.TotalMilliseconds),
        stop);

    private enum Outcome
    {
        CaughtUp,
        MoreWaiting,
        RetryLater,
        Busy,
    }

    private readonly record struct Round(Outcome Outcome, TimeSpan Delay);

    private sealed record ConsumerState(long TxId, long Id, long? RetryOutboxId, int RetryAttempts, DateTime? RetryAt, DateTime Now);

    /// <summary>The event holding the consumer back; DelayMs ≥ 0 when this round set a new retry time.</summary>
    private sealed record RetryState(long? OutboxId, int Attempts, DateTime? RetryAt, double DelayMs)
    {
        public static RetryState None { get; } = new(null, 0, null, -1);
    }

    private sealed record DeadLetter(string Consumer, long OutboxId, string Topic, int Attempts, string Error);

    private sealed record Row(long Id, long TxId, string Topic, string AggregateType, string AggregateId, string? Payload, DateTime CreatedAt, string? TraceParent);
}
