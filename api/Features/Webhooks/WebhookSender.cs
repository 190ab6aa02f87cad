using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Dapper;
using Headless.Api.Features.Email;
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
/// <see cref="WebhooksOptions.Concurrency"/> at once.</para>
/// <para>Answers: 2xx succeeds; 410 disables the endpoint; 429 and 503 wait for `Retry-After` when given;
/// anything else (or no answer in time) waits the <see cref="WebhookRetrySchedule"/>. Every attempt is a row
/// in `webhook_attempts` (status, latency, the first 1 KB of the answer, the error). A delivery still
/// failing after three days is marked failed; an endpoint with only failures for three days is disabled
/// and the admins are emailed through the email outbox. Redirects are not followed and connections go
/// only to addresses <see cref="WebhookAddressRules"/> allows, checked at connect time.</para>
/// </summary>
public sealed class WebhookSender : BackgroundService
{
    public const int SnippetBytes = 1024;

    private readonly NpgsqlDataSource _db;
    private readonly Platform.Vaults.PersonalDataVault _vault;
    private readonly WebhookSecrets _secrets;
    private readonly WebhooksOptions _options;
    private readonly bool _allowLocal;
    private readonly ILogger<WebhookSender> _log;
    private readonly HttpClient _http;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private long _attempts;

    public WebhookSender(NpgsqlDataSource db, WebhookSecrets secrets, IOptions<WebhooksOptions> options, IHostEnvironment env,
        Platform.Vaults.PersonalDataVault vault, ILogger<WebhookSender> log)
    {
        _db = db;
        _vault = vault;
        _secrets = secrets;
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
            MaxConnectionsPerServer = Math.Max(1, _options.Concurrency),
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

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var inFlight = new List<Task>();
        var errorDelay = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                inFlight.RemoveAll(t => t.IsCompleted);
                var free = Math.Max(1, _options.Concurrency) - inFlight.Count;
                var claimed = free > 0 ? await ClaimAsync(free, stoppingToken) : [];
                inFlight.AddRange(claimed.Select(d => SendAsync(d, stoppingToken)));
                errorDelay = TimeSpan.FromMilliseconds(200);
                if (claimed.Count > 0 && claimed.Count == free)
                {
                    // Saturated: refill in batches (ClaimBatch), not one claim statement per finished send.
                    var slots = Math.Max(1, _options.Concurrency);
                    var batch = Math.Clamp(_options.ClaimBatch, 1, slots);
                    inFlight.RemoveAll(t => t.IsCompleted);
                    while (inFlight.Count > slots - batch)
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
    }

    private async Task<List<Claimed>> ClaimAsync(int take, CancellationToken ct)
    {
        await using var conn = await _db.OpenConnectionAsync(ct);
        return (await conn.QueryAsync<Claimed>(new CommandDefinition("""
            with due as (
                select d.id from webhook_deliveries d
                join webhook_endpoints e on e.id = d.endpoint_id and e.enabled
                where d.status = 'pending' and d.next_attempt_at <= now()
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
                      e.secret as Secret, case when e.previous_secret_until > now() then e.previous_secret end as PreviousSecret
            """, new { take, Lease }, cancellationToken: ct))).AsList();
    }

    private async Task SendAsync(Claimed d, CancellationToken stop)
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
        var latency = (int)clock.ElapsedMilliseconds;
        try
        {
            await RecordAsync(d, result, latency, CancellationToken.None);
        }
        catch (Exception ex)
        {
            _log.LogWarning("Webhook delivery {DeliveryId}: the outcome could not be recorded ({Error}); it is sent again when its lease ends",
                d.Id, OutboxErrors.Describe(ex));
        }
    }

    private async Task<Result> PostAsync(Claimed d, CancellationToken stop)
    {
        var timestamp = DateTimeOffset.UtcNow;
        var signature = new StandardWebhook(_secrets.Unprotect(d.Secret)).Sign(d.Id.ToString(), timestamp, d.Payload);
        if (d.PreviousSecret is { } previous)
        {
            signature += " " + new StandardWebhook(_secrets.Unprotect(previous)).Sign(d.Id.ToString(), timestamp, d.Payload);
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

    private async Task RecordAsync(Claimed d, Result r, int latencyMs, CancellationToken ct)
    {
        var succeeded = r.Status is >= 200 and < 300;
        var gone = r.Status == StatusCodes.Status410Gone;
        var wait = r.RetryAfter ?? WebhookRetrySchedule.After(d.Attempt, Random.Shared.NextDouble());
        await using var conn = await _db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await conn.ExecuteAsync(new CommandDefinition("""
            insert into webhook_attempts (delivery_id, attempt, status_code, latency_ms, response_snippet, error)
            values (@Id, @Attempt, @Status, @latencyMs, @Snippet, @Error)
            """, new { d.Id, d.Attempt, r.Status, latencyMs, r.Snippet, r.Error }, tx, cancellationToken: ct));
        // Only the holder of the current lease settles the delivery: a late answer to a lease that ran out
        // (and was claimed again), or to a send a staff retry superseded (the retry clears the lease), is
        // logged as an attempt and changes nothing else, so the retry still goes out.
        await conn.ExecuteAsync(new CommandDefinition("""
            update webhook_deliveries
            set status = case when @succeeded then 'succeeded'
                              when @gone or created_at + @GiveUpAfter < now() + @wait then 'failed'
                              else 'pending' end,
                next_attempt_at = case when @succeeded or @gone then next_attempt_at else now() + @wait end,
                last_status = @Status, last_error = @Error, lease = null, updated_at = now()
            where id = @Id and lease = @LeaseToken and status = 'pending'
            """, new { succeeded, gone, _options.GiveUpAfter, wait, r.Status, r.Error, d.Id, d.LeaseToken }, tx, cancellationToken: ct));

        string? disabledFor = null;
        if (succeeded)
        {
            await conn.ExecuteAsync(new CommandDefinition(
                "update webhook_endpoints set failing_since = null where id = @EndpointId and failing_since is not null",
                new { d.EndpointId }, tx, cancellationToken: ct));
        }
        else if (gone)
        {
            disabledFor = "gone";
        }
        else
        {
            var failingTooLong = await conn.ExecuteScalarAsync<bool>(new CommandDefinition("""
                update webhook_endpoints set failing_since = coalesce(failing_since, now())
                where id = @EndpointId
                returning failing_since <= now() - @GiveUpAfter
                """, new { d.EndpointId, _options.GiveUpAfter }, tx, cancellationToken: ct));
            disabledFor = failingTooLong ? "failing" : null;
        }
        if (disabledFor is not null)
        {
            await DisableAsync(new WriteLog(conn, tx, Actor.System("webhooks")) { Vault = _vault }, d.EndpointId, disabledFor, ct);
        }
        await tx.CommitAsync(ct);
        if (disabledFor is not null)
        {
            _log.LogWarning("Webhook endpoint {EndpointId} disabled ({Reason})", d.EndpointId, disabledFor);
        }
        else if (!succeeded)
        {
            _log.LogInformation("Webhook delivery {DeliveryId} attempt {Attempt} failed ({Status}); next in {WaitSeconds:0} s",
                d.Id, d.Attempt, r.Status?.ToString(CultureInfo.InvariantCulture) ?? "no answer", wait.TotalSeconds);
        }
    }

    /// <summary>Disables the endpoint (once), records why in the audit log and emails every admin.</summary>
    private async Task DisableAsync(WriteLog log, Guid endpointId, string reason, CancellationToken ct)
    {
        var url = await log.Connection.ExecuteScalarAsync<string?>(new CommandDefinition("""
            update webhook_endpoints set enabled = false, disabled_reason = @reason, version = version + 1, updated_at = now()
            where id = @endpointId and enabled
            returning url
            """, new { endpointId, reason }, log.Transaction, cancellationToken: ct));
        if (url is null)
        {
            return;
        }
        await log.AuditAsync("webhook_endpoint.disabled", "webhook_endpoint", endpointId.ToString(), null,
            new JsonObject { ["reason"] = reason }.ToJsonString());
        var adminIds = (await log.Connection.QueryAsync<Guid>(new CommandDefinition("""
            select u.id from users u join user_roles r on r.user_id = u.id
            where r.role = 'admin' and u.erased_at is null
            """, transaction: log.Transaction, cancellationToken: ct))).ToList();
        // Admins' addresses are their people's vault fields (issue 15).
        var admins = await Accounts.Identity.AccountPeople.FieldsOfAsync(log.Connection, _vault, adminIds, log.Transaction, ct);
        var host = Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Authority : "";
        foreach (var fields in admins.Values)
        {
            if (Accounts.Identity.AccountFields.Get(fields, Accounts.Identity.AccountFields.Email) is not { } email)
            {
                continue;
            }
            var firstName = Accounts.Identity.AccountFields.Get(fields, Accounts.Identity.AccountFields.FirstName);
            await EmailQueue.EnqueueAsync(log, new EmailRequest("webhook-endpoint-disabled", email, firstName, new JsonObject
            {
                ["name"] = firstName ?? "",
                ["endpointId"] = endpointId.ToString(),
                ["host"] = host,
                ["gone"] = reason == "gone",
            }));
        }
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    private sealed record Claimed(Guid Id, Guid EndpointId, Guid LeaseToken, string Payload, int Attempt, string Url, string Secret, string? PreviousSecret);

    private sealed record Result(int? Status, string? Snippet, string? Error, TimeSpan? RetryAfter);
}
