using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Dapper;
using Headless.Api.Platform.Outbox;
using Microsoft.Extensions.Options;
using Npgsql;
using StandardWebhooks;

namespace Headless.Api.Features.Webhooks;

/// <summary>
/// Sends the deliveries <see cref="WebhookFanOut"/> queued, at least once, signed to the Standard Webhooks
/// specification (`webhook-id` = the delivery's id, the same on every retry; `webhook-timestamp`;
/// `webhook-signature` with a `v1,` signature per valid secret, two during a rotation's overlap).
/// <para>Claims are leases, not open transactions: one short statement picks due deliveries with
/// `FOR UPDATE SKIP LOCKED` (so instances never pick the same one), pushes their due time past the
/// attempt's timeout and gives each a fresh lease token, then commits before anything is sent. A send's
/// outcome settles the delivery only if its token is still the delivery's: a staff retry clears it. Holding the row lock through a 10-second send
/// would hold a transaction id that long, and a running transaction id stalls the outbox for every consumer
/// (see <see cref="OutboxConsumer"/>). A sender that dies mid-send leaves the lease to run out; another
/// instance then sends the same delivery again with the same `webhook-id`, which is what receivers dedupe on.</para>
/// <para>Order: a delivery is only claimed when no earlier delivery (fan-out `seq`, i.e. outbox order) of the
/// same resource to the same endpoint is still pending, so one resource's events arrive in event order even
/// through retries; different resources and endpoints go in parallel, at most
/// <see cref="WebhooksOptions.Concurrency"/> at once and <see cref="WebhooksOptions.PerEndpointConcurrency"/>
/// to one endpoint (an endpoint at its bound is left out of the claim, and a claim that overshoots it hands
/// the extra deliveries straight back). Connections are kept alive and reused per receiver.</para>
/// <para>Settling is group commit: a finished send queues its outcome and keeps its slot until a writer has
/// recorded it together with every other outcome that finished meanwhile
/// (<see cref="WebhookSettlement"/>: one transaction and two or three statements per batch, not per delivery;
/// a few batches are written at once). If a
/// batch cannot be recorded, its outcomes are recorded one by one, so one bad outcome holds back no other.
/// Answers, retries and the delivery log are described there. Redirects are not followed and connections go
/// only to addresses <see cref="WebhookAddressRules"/> allows, checked at connect time.</para>
/// </summary>
public sealed class WebhookSender : BackgroundService
{
    public const int SnippetBytes = 1024;

    private readonly NpgsqlDataSource _db;
    private readonly WebhookSecrets _secrets;
    private readonly WebhookSettlement _settlement;
    private readonly WebhooksOptions _options;
    private readonly bool _allowLocal;
    private readonly ILogger<WebhookSender> _log;
    private readonly HttpClient _http;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Channel<Settling> _finished = Channel.CreateUnbounded<Settling>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<Guid, int> _perEndpoint = [];
    // Unprotecting a secret (data protection: a key-ring lookup, AES and an HMAC) cost more than signing;
    // keyed by the stored (protected) text, so a rotation is a new entry.
    private readonly ConcurrentDictionary<string, string> _plainSecrets = new(StringComparer.Ordinal);
    private long _attempts;

    public WebhookSender(NpgsqlDataSource db, WebhookSecrets secrets, WebhookSettlement settlement, IOptions<WebhooksOptions> options,
        IHostEnvironment env, ILogger<WebhookSender> log)
    {
        _db = db;
        _secrets = secrets;
        _settlement = settlement;
        _options = options.Value;
        _allowLocal = _options.AllowLocalReceivers ?? env.IsDevelopment();
        _log = log;
        var allowLocal = _allowLocal;
        _http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            ConnectTimeout = _options.Timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            // The per-endpoint bound is kept by the claim; this only has to let every slot have a connection.
            MaxConnectionsPerServer = Slots,
            ConnectCallback = (context, ct) => WebhookAddressRules.ConnectAsync(context, allowLocal, ct),
        })
        { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Whether endpoints may be http and loopback (Development, or configured).</summary>
    public bool AllowLocalReceivers => _allowLocal;

    /// <summary>Attempts made by this instance (diagnostics; tests know a round ran).</summary>
    public long Attempts => Interlocked.Read(ref _attempts);

    /// <summary>Asks for a claim now instead of at the next poll.</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    private TimeSpan Lease => _options.Timeout + TimeSpan.FromSeconds(5);

    private int Slots => Math.Max(1, _options.Concurrency);

    private int SlotsPerEndpoint => Math.Clamp(_options.PerEndpointConcurrency, 1, Slots);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settling = SettleLoopAsync();
        var inFlight = new List<Task>();
        var errorDelay = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                inFlight.RemoveAll(t => t.IsCompleted);
                var free = Slots - inFlight.Count;
                var claimed = free > 0 ? await ClaimAsync(free, stoppingToken) : [];
                inFlight.AddRange(claimed.Select(d => SendAsync(d, stoppingToken)));
                errorDelay = TimeSpan.FromMilliseconds(200);
                if (claimed.Count > 0 && claimed.Count == free)
                {
                    // Saturated: refill in batches (ClaimBatch), not one claim statement per finished send.
                    var batch = Math.Clamp(_options.ClaimBatch, 1, Slots);
                    inFlight.RemoveAll(t => t.IsCompleted);
                    while (inFlight.Count > Slots - batch)
                    {
                        await Task.WhenAny(inFlight);
                        inFlight.RemoveAll(t => t.IsCompleted);
                    }
                    continue;
                }
                using var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                poll.CancelAfter(_options.PollInterval);
                var wake = _wake.Reader.WaitToReadAsync(poll.Token).AsTask();
                await Task.WhenAny(inFlight.Append(wake));
                _wake.Reader.TryRead(out _);
                await poll.CancelAsync();
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                _log.LogWarning("Webhook sender could not claim deliveries ({Error}); retrying in {DelayMs} ms",
                    OutboxErrors.Describe(ex), (int)errorDelay.TotalMilliseconds);
                await Task.Delay(errorDelay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                errorDelay = TimeSpan.FromMilliseconds(Math.Min(errorDelay.TotalMilliseconds * 2, 30_000));
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
        try
        {
            await Task.WhenAll(inFlight);
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: unsent deliveries keep their lease and go out again once it ends.
        }
        finally
        {
            _finished.Writer.TryComplete();
            await settling;
        }
    }

    private const string ClaimSql = """
            with due as (
                select d.id from webhook_deliveries d
                join webhook_endpoints e on e.id = d.endpoint_id and e.enabled
                where d.status = 'pending' and d.next_attempt_at <= now() {full}
                  and not exists (
                      select 1 from webhook_deliveries p
                      where p.endpoint_id = d.endpoint_id and p.resource_id = d.resource_id
                        and p.status = 'pending' and p.seq < d.seq)
                order by d.next_attempt_at, d.seq
                limit @take
                for update of d skip locked)
            update webhook_deliveries d
            set next_attempt_at = now() + @Lease, attempts = d.attempts + 1, lease = gen_random_uuid(), updated_at = now()
            from due, webhook_endpoints e
            where d.id = due.id and e.id = d.endpoint_id
            returning d.id as Id, d.endpoint_id as EndpointId, d.lease as LeaseToken, d.payload as Payload, d.attempts as Attempt, e.url as Url,
                      e.secret as Secret, case when e.previous_secret_until > now() then e.previous_secret end as PreviousSecret,
                      d.seq as Seq
        """;

    private static readonly string ClaimAny = ClaimSql.Replace("{full}", "", StringComparison.Ordinal);

    private static readonly string ClaimExceptFull = ClaimSql.Replace("{full}", "and d.endpoint_id <> all(@full)", StringComparison.Ordinal);

    private async Task<List<Claimed>> ClaimAsync(int take, CancellationToken ct)
    {
        Guid[] full;
        lock (_perEndpoint)
        {
            full = [.. _perEndpoint.Where(e => e.Value >= SlotsPerEndpoint).Select(e => e.Key)];
        }
        await using var conn = await _db.OpenConnectionAsync(ct);
        // Endpoints at their bound are left out; the clause is only there when one is (two statement texts, each
        // prepared once): the usual claim keeps the plan it always had.
        var claimed = (await conn.QueryAsync<Claimed>(new CommandDefinition(full.Length == 0 ? ClaimAny : ClaimExceptFull,
            new { take, Lease, full }, cancellationToken: ct))).OrderBy(d => d.Seq).ToList();


        // Take the endpoints' slots in outbox order; what is over an endpoint's bound goes straight back, unsent.
        var keep = new List<Claimed>(claimed.Count);
        var extra = new List<Claimed>();
        lock (_perEndpoint)
        {
            foreach (var d in claimed)
            {
                var busy = _perEndpoint.GetValueOrDefault(d.EndpointId);
                if (busy >= SlotsPerEndpoint)
                {
                    extra.Add(d);
                    continue;
                }
                _perEndpoint[d.EndpointId] = busy + 1;
                keep.Add(d);
            }
        }
        if (extra.Count > 0)
        {
            try
            {
                await conn.ExecuteAsync(new CommandDefinition("""
                    update webhook_deliveries d
                    set next_attempt_at = now(), attempts = d.attempts - 1, lease = null, updated_at = now()
                    from unnest(@ids, @leases) as x (id, lease)
                    where d.id = x.id and d.lease = x.lease and d.status = 'pending'
                    """, new { ids = extra.Select(d => d.Id).ToArray(), leases = extra.Select(d => d.LeaseToken).ToArray() }, cancellationToken: CancellationToken.None));
            }
            catch (Exception ex)
            {
                // Not sent, so nothing is lost: their leases run out and they are claimed again.
                _log.LogWarning("Webhook sender could not hand back {Count} deliveries over their endpoint's bound ({Error}); they go out when their lease ends",
                    extra.Count, OutboxErrors.Describe(ex));
            }
        }
        return keep;
    }

    private void ReleaseSlot(Guid endpointId)
    {
        lock (_perEndpoint)
        {
            if (_perEndpoint.TryGetValue(endpointId, out var busy) && busy > 1)
            {
                _perEndpoint[endpointId] = busy - 1;
            }
            else
            {
                _perEndpoint.Remove(endpointId);
            }
        }
    }

    private async Task SendAsync(Claimed d, CancellationToken stop)
    {
        try
        {
            Interlocked.Increment(ref _attempts);
            var clock = Stopwatch.StartNew();
            Result result;
            try
            {
                result = await PostAsync(d, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The whole exception stays out of the log: messages can carry the URL, and URLs can carry tokens.
                _log.LogError("Webhook delivery {DeliveryId} could not be prepared ({Error})", d.Id, OutboxErrors.Describe(ex));
                result = new Result(null, null, "internal: " + OutboxErrors.Describe(ex), null);
            }
            var finished = new FinishedSend(d.Id, d.EndpointId, d.LeaseToken, d.Attempt, result.Status, result.Snippet, result.Error,
                result.RetryAfter, (int)clock.ElapsedMilliseconds);
            var settling = new Settling(finished, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            if (_finished.Writer.TryWrite(settling))
            {
                await settling.Recorded.Task;
            }
        }
        finally
        {
            ReleaseSlot(d.EndpointId);
        }
    }

    /// <summary>The writers of outcomes: each records whatever finished since the last write began, in one batch.
    /// A few write at once (<see cref="WebhooksOptions.SettleWriters"/>): on a busy server one statement waits
    /// mostly for a core, and a single writer would make every slot wait in line behind it.</summary>
    private async Task SettleLoopAsync()
    {
        using var writers = new SemaphoreSlim(Math.Max(1, _options.SettleWriters));
        var running = new List<Task>();
        while (await _finished.Reader.WaitToReadAsync(CancellationToken.None))
        {
            // A writer first, then the batch: while every writer is busy, outcomes gather into the next batch.
            await writers.WaitAsync(CancellationToken.None);
            var batch = new List<Settling>();
            while (batch.Count < MaxSettleBatch && _finished.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }
            running.RemoveAll(t => t.IsCompleted);
            running.Add(Task.Run(async () =>
            {
                try
                {
                    await SettleAsync(batch);
                }
                finally
                {
                    foreach (var s in batch)
                    {
                        s.Recorded.TrySetResult();
                    }
                    writers.Release();
                }
            }));
        }
        await Task.WhenAll(running);
    }

    private const int MaxSettleBatch = 500;

    private async Task SettleAsync(List<Settling> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }
        try
        {
            await _settlement.SettleAsync([.. batch.Select(s => s.Send)], CancellationToken.None);
            return;
        }
        catch (Exception ex) when (batch.Count > 1)
        {
            _log.LogWarning("Webhook sender could not record a batch of {Count} outcomes ({Error}); recording them one by one",
                batch.Count, OutboxErrors.Describe(ex));
        }
        catch (Exception ex)
        {
            LogUnrecorded(batch[0].Send, ex);
            return;
        }
        foreach (var s in batch)
        {
            try
            {
                await _settlement.SettleAsync([s.Send], CancellationToken.None);
            }
            catch (Exception ex)
            {
                LogUnrecorded(s.Send, ex);
            }
        }
    }

    private void LogUnrecorded(FinishedSend send, Exception ex) =>
        _log.LogWarning("Webhook delivery {DeliveryId}: the outcome could not be recorded ({Error}); it is sent again when its lease ends",
            send.DeliveryId, OutboxErrors.Describe(ex));

    private string Plain(string stored)
    {
        if (_plainSecrets.TryGetValue(stored, out var plain))
        {
            return plain;
        }
        if (_plainSecrets.Count > 10_000)
        {
            _plainSecrets.Clear();
        }
        return _plainSecrets[stored] = _secrets.Unprotect(stored);
    }

    private async Task<Result> PostAsync(Claimed d, CancellationToken stop)
    {
        var timestamp = DateTimeOffset.UtcNow;
        var signature = new StandardWebhook(Plain(d.Secret)).Sign(d.Id.ToString(), timestamp, d.Payload);
        if (d.PreviousSecret is { } previous)
        {
            signature += " " + new StandardWebhook(Plain(previous)).Sign(d.Id.ToString(), timestamp, d.Payload);
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, d.Url)
        {
            Content = new StringContent(d.Payload, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("webhook-id", d.Id.ToString());
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", signature);
        request.Headers.UserAgent.ParseAdd("Headless-Webhooks/1");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var snippet = await ReadSnippetAsync(response, timeout.Token);
            var status = (int)response.StatusCode;
            TimeSpan? retryAfter = status is 429 or 503 ? WebhookRetrySchedule.RetryAfter(response.Headers.RetryAfter, DateTimeOffset.UtcNow) : null;
            return new Result(status, snippet, response.IsSuccessStatusCode ? null : $"HTTP {status}", retryAfter);
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            return new Result(null, null, $"timeout: no answer within {_options.Timeout.TotalSeconds:0} s", null);
        }
        catch (HttpRequestException ex) when (ex.InnerException is WebhookAddressRefusedException refused)
        {
            return new Result(null, null, "address-refused: " + refused.Message, null);
        }
        catch (HttpRequestException ex)
        {
            return new Result(null, null, $"connection: {ex.HttpRequestError} ({OutboxErrors.Describe(ex)})", null);
        }
    }

    private static async Task<string?> ReadSnippetAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[SnippetBytes];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await body.ReadAsync(buffer.AsMemory(read), ct)) > 0)
        {
            read += n;
        }
        if (read == 0)
        {
            return null;
        }
        // Cut at a character boundary so the stored text is valid UTF-8.
        var text = Encoding.UTF8.GetString(buffer, 0, read);
        return text.Length > 0 && text[^1] == '\uFFFD' && read == buffer.Length ? text[..^1] : text;
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    private sealed record Claimed(Guid Id, Guid EndpointId, Guid LeaseToken, string Payload, int Attempt, string Url, string Secret, string? PreviousSecret, long Seq);

    private sealed record Settling(FinishedSend Send, TaskCompletionSource Recorded);

    private sealed record Result(int? Status, string? Snippet, string? Error, TimeSpan? RetryAfter);
}
