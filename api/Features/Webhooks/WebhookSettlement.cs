using System.Globalization;
using System.Text.Json.Nodes;
using Dapper;
using Headless.Api.Features.Email;
using Headless.Api.Platform.Outbox;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Headless.Api.Features.Webhooks;

/// <summary>What one finished send (an attempt) of a claimed delivery came to: the lease it was sent under,
/// the answer's status, the start of its body, the error, and how long it took.</summary>
public sealed record FinishedSend(Guid DeliveryId, Guid EndpointId, Guid LeaseToken, int Attempt, int? Status, string? Snippet,
    string? Error, TimeSpan? RetryAfter, int LatencyMs)
{
    public bool Succeeded => Status is >= 200 and < 300;

    public bool Gone => Status == StatusCodes.Status410Gone;
}

/// <summary>
/// Records a batch of finished sends in one transaction: one multi-row insert of their attempts, one
/// `update … from unnest(…)` of their deliveries and, when an endpoint's health changes, one update of the
/// endpoints, instead of two or three writes per delivery.
/// <para>Only the holder of the current lease settles a delivery: a late answer to a lease that ran out (and
/// was claimed again), or to a send a staff retry superseded (the retry clears the lease), is logged as an
/// attempt and changes nothing else, so the retry still goes out. The others of the batch settle as usual.</para>
/// <para>2xx succeeds; 410 fails the delivery and disables the endpoint; 429 and 503 wait for their
/// `Retry-After`; anything else waits the <see cref="WebhookRetrySchedule"/>, and a delivery that would be
/// tried after <see cref="WebhooksOptions.GiveUpAfter"/> fails. An endpoint whose attempts in a batch all
/// failed keeps (or starts) its failing-since time, one with a success clears it; failing for
/// <see cref="WebhooksOptions.GiveUpAfter"/> disables it and the admins are emailed.</para>
/// </summary>
public sealed class WebhookSettlement(NpgsqlDataSource db, Platform.Vaults.PersonalDataVault vault, IOptions<WebhooksOptions> options,
    ILogger<WebhookSettlement> log)
{
    private readonly WebhooksOptions _options = options.Value;

    public async Task SettleAsync(IReadOnlyList<FinishedSend> sends, CancellationToken ct)
    {
        if (sends.Count == 0)
        {
            return;
        }
        var waits = sends.Select(s => s.RetryAfter ?? WebhookRetrySchedule.After(s.Attempt, Random.Shared.NextDouble())).ToArray();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await conn.ExecuteAsync(new CommandDefinition("""
            insert into webhook_attempts (delivery_id, attempt, status_code, latency_ms, response_snippet, error)
            select * from unnest(@ids, @attempts, @statuses, @latencies, @snippets, @errors)
            """, new
        {
            ids = sends.Select(s => s.DeliveryId).ToArray(),
            attempts = sends.Select(s => s.Attempt).ToArray(),
            statuses = sends.Select(s => s.Status).ToArray(),
            latencies = sends.Select(s => s.LatencyMs).ToArray(),
            snippets = sends.Select(s => s.Snippet).ToArray(),
            errors = sends.Select(s => s.Error).ToArray(),
        }, tx, cancellationToken: ct));
        // Rows are locked in id order, so two instances settling overlapping batches cannot deadlock.
        var order = Enumerable.Range(0, sends.Count).OrderBy(i => sends[i].DeliveryId).ToArray();
        await conn.ExecuteAsync(new CommandDefinition("""
            update webhook_deliveries d
            set status = case when s.succeeded then 'succeeded'
                              when s.gone or d.created_at + @GiveUpAfter < now() + s.wait then 'failed'
                              else 'pending' end,
                next_attempt_at = case when s.succeeded or s.gone then d.next_attempt_at else now() + s.wait end,
                last_status = s.status, last_error = s.error, lease = null, updated_at = now()
            from (select * from unnest(@ids, @leases, @succeeded, @gone, @waits, @statuses, @errors)
                      as u (id, lease, succeeded, gone, wait, status, error)
                  order by u.id) s
            where d.id = s.id and d.lease = s.lease and d.status = 'pending'
            """, new
        {
            _options.GiveUpAfter,
            ids = order.Select(i => sends[i].DeliveryId).ToArray(),
            leases = order.Select(i => sends[i].LeaseToken).ToArray(),
            succeeded = order.Select(i => sends[i].Succeeded).ToArray(),
            gone = order.Select(i => sends[i].Gone).ToArray(),
            waits = order.Select(i => waits[i]).ToArray(),
            statuses = order.Select(i => sends[i].Status).ToArray(),
            errors = order.Select(i => sends[i].Error).ToArray(),
        }, tx, cancellationToken: ct));

        var endpoints = sends.GroupBy(s => s.EndpointId).OrderBy(g => g.Key)
            .Select(g => (Id: g.Key, Ok: g.Any(s => s.Succeeded), Gone: g.Any(s => s.Gone))).ToList();
        var disable = endpoints.Where(e => e.Gone).Select(e => (e.Id, Reason: "gone")).ToList();
        var health = endpoints.Where(e => !e.Gone).ToList();
        if (health.Count > 0)
        {
            // A success clears the failing-since time (a write only when it was set); a failure starts it.
            var failingTooLong = await conn.QueryAsync<Guid>(new CommandDefinition("""
                with changed as (
                    update webhook_endpoints w
                    set failing_since = case when s.ok then null else coalesce(w.failing_since, now()) end
                    from unnest(@ids, @ok) as s (id, ok)
                    where w.id = s.id and (not s.ok or w.failing_since is not null)
                    returning w.id, s.ok, w.failing_since)
                select id from changed where not ok and failing_since <= now() - @GiveUpAfter
                """, new { ids = health.Select(e => e.Id).ToArray(), ok = health.Select(e => e.Ok).ToArray(), _options.GiveUpAfter },
                tx, cancellationToken: ct));
            disable.AddRange(failingTooLong.Select(id => (id, "failing")));
        }
        foreach (var (id, reason) in disable)
        {
            await DisableAsync(new WriteLog(conn, tx, Actor.System("webhooks")) { Vault = vault }, id, reason, ct);
        }
        await tx.CommitAsync(ct);

        foreach (var (id, reason) in disable)
        {
            log.LogWarning("Webhook endpoint {EndpointId} disabled ({Reason})", id, reason);
        }
        for (var i = 0; i < sends.Count; i++)
        {
            if (!sends[i].Succeeded && !sends[i].Gone)
            {
                log.LogInformation("Webhook delivery {DeliveryId} attempt {Attempt} failed ({Status}); next in {WaitSeconds:0} s",
                    sends[i].DeliveryId, sends[i].Attempt, sends[i].Status?.ToString(CultureInfo.InvariantCulture) ?? "no answer", waits[i].TotalSeconds);
            }
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
        var admins = await Accounts.Identity.AccountPeople.FieldsOfAsync(log.Connection, vault, adminIds, log.Transaction, ct);
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
}
