using Dapper;
using Headless.Api.Platform.Outbox;
using Npgsql;

namespace Headless.Api.Features.Webhooks;

/// <summary>
/// The outbox consumer of outbound webhooks: for the events of public types in an outbox round it writes one
/// row in `webhook_deliveries` per (event, enabled endpoint subscribed to its type), then wakes the
/// <see cref="WebhookSender"/>. It only queues; the sending (slow, failing, retried for days) happens apart,
/// so one dead receiver never holds back the outbox or the other endpoints.
/// <para>A round costs two statements, however many events and endpoints it has: one reads the versions of
/// the round's subscribed resources, one `insert … select` joins the round's events to the subscribed
/// endpoints (a per-event loop cost three round trips an event and capped the fan-out). Both run at the
/// round's end, before the outbox position moves past its events.</para>
/// <para>Idempotent: (endpoint, outbox id) is unique, so a round read again after a crash before its commit
/// adds nothing. Rows are inserted in the outbox's (txid, id) order, endpoint by endpoint, and their `seq`
/// keeps it: the sender delivers one resource's events to an endpoint in that order. It starts at the outbox
/// head: an endpoint gets the events that happen after it is created, never history.</para>
/// </summary>
public sealed class WebhookFanOut(NpgsqlDataSource db, WebhookSender sender, OutboxConsumerOptions options, ILogger<WebhookFanOut> log)
    : OutboxConsumer(db, options, log)
{
    public const string ConsumerName = "webhooks";

    private readonly List<OutboxEvent> _round = [];

    public override string Name => ConsumerName;

    public override IReadOnlySet<string> Topics { get; } = new HashSet<string>(WebhookEvents.ByTopic.Keys, StringComparer.Ordinal);

    protected override Task HandleAsync(OutboxEvent e, CancellationToken ct)
    {
        _round.Add(e);
        return Task.CompletedTask;
    }

    protected override async Task EndRoundAsync(CancellationToken ct)
    {
        try
        {
            if (await QueueAsync(Db, _round, ct) > 0)
            {
                sender.Wake();
            }
        }
        finally
        {
            _round.Clear();
        }
    }

    /// <summary>Queues the deliveries of <paramref name="events"/> (in outbox order) to every enabled endpoint
    /// subscribed to their types; returns how many rows were added (none for events queued before).</summary>
    public static async Task<int> QueueAsync(NpgsqlDataSource db, IReadOnlyList<OutboxEvent> events, CancellationToken ct)
    {
        if (events.Count == 0)
        {
            return 0;
        }
        var types = events.Select(e => WebhookEvents.ByTopic[e.Topic]).ToArray();
        await using var conn = await db.OpenConnectionAsync(ct);
        // Only events some endpoint wants, with their resource's version now (at or after the event).
        var wanted = (await conn.QueryAsync<Wanted>(new CommandDefinition("""
            select ev.ord::int as Index,
                   case ev.kind when 'product' then (select p.version from products p where p.id = ev.resource)
                                when 'order' then (select o.version from orders o where o.id = ev.resource) end as Version
            from unnest(@types, @kinds, @resources) with ordinality as ev (type, kind, resource, ord)
            where exists (select 1 from webhook_endpoints w where w.enabled and w.event_types @> array[ev.type])
            """, new
        {
            types,
            kinds = events.Select(e => e.AggregateType).ToArray(),
            resources = events.Select(e => Guid.TryParse(e.AggregateId, out var id) ? id : (Guid?)null).ToArray(),
        }, cancellationToken: ct))).AsList();
        if (wanted.Count == 0)
        {
            return 0;
        }
        var queued = wanted.Select(w => events[w.Index - 1]).ToList();
        var payloads = wanted.Select(w =>
        {
            var e = events[w.Index - 1];
            return WebhookEvents.Payload(e.Id, types[w.Index - 1], e.CreatedAt, e.AggregateId, w.Version);
        }).ToArray();
        // Due at clock_timestamp(), not the statement's now(): thousands of rows sharing one due time made the
        // sender's claim (ordered by due time, then seq) work through the whole tie group before its limit.
        return await conn.ExecuteAsync(new CommandDefinition("""
            insert into webhook_deliveries (id, endpoint_id, outbox_id, event_type, resource_id, payload, event_at, next_attempt_at)
            select gen_random_uuid(), w.id, ev.outbox_id, ev.type, ev.resource_id, ev.payload, ev.event_at, clock_timestamp()
            from unnest(@outboxIds, @types, @resourceIds, @payloads, @eventAts) with ordinality as ev (outbox_id, type, resource_id, payload, event_at, ord)
            join webhook_endpoints w on w.enabled and w.event_types @> array[ev.type]
            order by ev.ord, w.id
            on conflict (endpoint_id, outbox_id) do nothing
            """, new
        {
            outboxIds = queued.Select(e => e.Id).ToArray(),
            types = wanted.Select(w => types[w.Index - 1]).ToArray(),
            resourceIds = queued.Select(e => e.AggregateId).ToArray(),
            payloads,
            eventAts = queued.Select(e => DateTime.SpecifyKind(e.CreatedAt, DateTimeKind.Utc)).ToArray(),
        }, cancellationToken: ct));
    }

    private sealed record Wanted(int Index, int? Version);
}
