using Dapper;
using Headless.Api.Platform.Outbox;
using Npgsql;

namespace Headless.Api.Features.Webhooks;

/// <summary>
/// The outbox consumer of outbound webhooks: for each event of a public type it writes one row in
/// `webhook_deliveries` per enabled endpoint subscribed to that type, then wakes the
/// <see cref="WebhookSender"/>. It only queues; the sending (slow, failing, retried for days) happens apart,
/// so one dead receiver never holds back the outbox or the other endpoints.
/// <para>Idempotent: (endpoint, outbox id) is unique, so an event handed out again adds nothing. Rows are
/// written in the outbox's (txid, id) order, and their `seq` keeps it: the sender delivers one resource's
/// events to an endpoint in that order. It starts at the outbox head: an endpoint gets the events that
/// happen after it is created, never history.</para>
/// </summary>
public sealed class WebhookFanOut(NpgsqlDataSource db, WebhookSender sender, OutboxConsumerOptions options, ILogger<WebhookFanOut> log)
    : OutboxConsumer(db, options, log)
{
    public const string ConsumerName = "webhooks";

    public override string Name => ConsumerName;

    public override IReadOnlySet<string> Topics { get; } = new HashSet<string>(WebhookEvents.ByTopic.Keys, StringComparer.Ordinal);

    protected override async Task HandleAsync(OutboxEvent e, CancellationToken ct)
    {
        var type = WebhookEvents.ByTopic[e.Topic];
        await using var conn = await Db.OpenConnectionAsync(ct);
        var subscribed = await conn.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from webhook_endpoints where enabled and event_types @> array[@type])", new { type }, cancellationToken: ct));
        if (!subscribed)
        {
            return;
        }
        var version = await WebhookEvents.VersionAsync(conn, e.AggregateType, e.AggregateId, ct);
        var payload = WebhookEvents.Payload(e.Id, type, e.CreatedAt, e.AggregateId, version);
        var queued = await conn.ExecuteAsync(new CommandDefinition("""
            insert into webhook_deliveries (id, endpoint_id, outbox_id, event_type, resource_id, payload, event_at)
            select gen_random_uuid(), id, @Id, @type, @AggregateId, @payload, @CreatedAt
            from webhook_endpoints where enabled and event_types @> array[@type]
            order by id
            on conflict (endpoint_id, outbox_id) do nothing
            """, new { e.Id, type, e.AggregateId, payload, e.CreatedAt }, cancellationToken: ct));
        if (queued > 0)
        {
            sender.Wake();
        }
    }
}
