using System.Globalization;
using System.Text.Json;
using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;
using Npgsql;

namespace Headless.Api.Features.Orders.Admin;

/// <summary>
/// The admin's live feed: order events as server-sent events, read straight from the outbox. Not an
/// outbox consumer: a consumer's position is shared and worked by one instance, while each browser may
/// be connected to any instance and needs every event from where it stands. So each stream keeps its own
/// position (txid, id), reads with the consumers' rule (only transactions below the snapshot's xmin, so
/// a late commit is never skipped) and sends it as the event id: a reconnect's Last-Event-ID resumes
/// exactly there. One process-wide LISTEN (<see cref="OutboxSignal"/>) wakes every stream; a heartbeat
/// comment every 15 s keeps proxies from closing an idle stream and re-reads in case a wake-up was lost.
/// </summary>
public sealed class StreamLiveOrders(NpgsqlDataSource db, OutboxSignal signal, IHostApplicationLifetime lifetime) : EndpointWithoutRequest
{
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);
    private const int Batch = 200;

    public override void Configure()
    {
        Get("/live");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.OrderStaff);
        Description(b => b.WithName("StreamLiveOrders").WithTags("Admin orders")
            .Produces<string>(StatusCodes.Status200OK, "text/event-stream")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden));
        Summary(s =>
        {
            s.Summary = "Order events as they happen (text/event-stream)";
            s.Description = "Server-sent events, one per order event in the outbox (order.created, order.paid, order.canceled, order.fulfilled, "
                + "order.delivered, order.refunded): `event: order`, `id:` the event's outbox position, `data:` a JSON object with topic, orderId, number, "
                + "status (now), total and createdAt. Without Last-Event-ID the stream starts at the current head (no history); with it, right after that event. "
                + "An unknown Last-Event-ID starts at the head. A comment line every 15 seconds keeps the connection open. For staff with orders access.";
        });
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var http = HttpContext;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, lifetime.ApplicationStopping);
        var stop = linked.Token;
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        try
        {
            var position = Position.Parse(http.Request.Headers["Last-Event-ID"]) ?? await HeadAsync(stop);
            await http.Response.WriteAsync("retry: 3000\n\n", stop);
            await http.Response.Body.FlushAsync(stop);
            while (!stop.IsCancellationRequested)
            {
                var wake = signal.Next;
                var (events, reached, more) = await ReadAsync(position, stop);
                foreach (var (at, e) in events)
                {
                    await http.Response.WriteAsync($"id: {at}\nevent: order\ndata: {JsonSerializer.Serialize(e, ApiJsonContext.Default.LiveOrderEvent)}\n\n", stop);
                }
                position = reached;
                await http.Response.Body.FlushAsync(stop);
                if (more)
                {
                    continue;
                }
                if (await Task.WhenAny(wake, Task.Delay(Heartbeat, stop)) != wake)
                {
                    stop.ThrowIfCancellationRequested();
                    await http.Response.WriteAsync(": heartbeat\n\n", stop);
                    await http.Response.Body.FlushAsync(stop);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The browser went away or the server is stopping: the stream just ends.
        }
    }

    // A connection per read, not per stream: an idle open tab must not hold one of the pool's connections.
    private async Task<Position> HeadAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return new(await conn.ExecuteScalarAsync<long>(new CommandDefinition("select pg_snapshot_xmin(pg_current_snapshot())::text::bigint", cancellationToken: ct)), 0);
    }

    private async Task<(List<(Position At, LiveOrderEvent Event)> Events, Position Reached, bool More)> ReadAsync(Position from, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = (await conn.QueryAsync<Row>(new CommandDefinition("""
            select x.id, x.txid::text::bigint as txid, x.topic, o.id as orderid, o.number, o.status, o.total, o.currency, o.created_at as createdat
            from outbox x
            left join orders o on o.id = case when x.aggregate_type = 'order' and x.topic like 'order.%' then x.aggregate_id::uuid end
            where (x.txid, x.id) > (@txid::text::xid8, @id)
              and x.txid < pg_snapshot_xmin(pg_current_snapshot())
            order by x.txid, x.id
            limit @take
            """, new { txid = from.TxId.ToString(CultureInfo.InvariantCulture), id = from.Id, take = Batch }, cancellationToken: ct))).ToList();
        var events = rows.Where(r => r.OrderId is not null).Select(r => (new Position(r.TxId, r.Id), new LiveOrderEvent(r.Topic, r.OrderId!.Value, r.Number!, r.Status!,
            new Money(r.Total ?? 0, r.Currency!.Trim()), new DateTimeOffset(DateTime.SpecifyKind(r.CreatedAt!.Value, DateTimeKind.Utc))))).ToList();
        var reached = rows.Count == 0 ? from : new Position(rows[^1].TxId, rows[^1].Id);
        return (events, reached, rows.Count == Batch);
    }

    /// <summary>An outbox position, "txid-id" on the wire.</summary>
    public readonly record struct Position(long TxId, long Id)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{TxId}-{Id}");

        public static Position? Parse(string? text)
        {
            var parts = text?.Split('-');
            return parts is [var tx, var id]
                && long.TryParse(tx, NumberStyles.None, CultureInfo.InvariantCulture, out var txid)
                && long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var rowId)
                ? new Position(txid, rowId) : null;
        }
    }

    private sealed class Row
    {
        public long Id { get; init; }
        public long TxId { get; init; }
        public string Topic { get; init; } = "";
        public Guid? OrderId { get; init; }
        public string? Number { get; init; }
        public string? Status { get; init; }
        public long? Total { get; init; }
        public string? Currency { get; init; }
        public DateTime? CreatedAt { get; init; }
    }
}
