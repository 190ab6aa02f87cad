using Dapper;
using Headless.Api.Features.Webhooks;
using Headless.Api.Platform.Outbox;
using Headless.Tests.Email;
using Headless.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Headless.Tests.Webhooks;

/// <summary>The fan-out queues a whole outbox round in one statement, and the sender settles finished sends in
/// batches; both keep the guarantees of the one-at-a-time versions (idempotent, order per resource, the lease rule).</summary>
public sealed class WebhookBatchTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private const int Events = 40;
    private const int Endpoints = 3;

    [Fact]
    public async Task A_round_of_N_events_to_M_endpoints_queues_N_times_M_deliveries_at_once_and_reading_it_again_adds_none()
    {
        await using var receiver = await GatedReceiver.StartAsync(27420);
        var admin = api.Admin();
        var endpoints = new List<Guid>();
        for (var i = 0; i < Endpoints; i++)
        {
            endpoints.Add((await admin.CreateWebhookEndpointAsync($"{receiver.Url}{i}", "order.paid", "order.refunded")).Endpoint.Id);
        }
        var before = await PositionAsync();

        // One transaction: one outbox round reads them all. Five orders, each paid then refunded over and over.
        var orders = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid().ToString()).ToArray();
        long[] outboxIds;
        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            outboxIds = [.. await conn.QueryAsync<long>("""
                insert into outbox (topic, aggregate_type, aggregate_id, payload)
                select case when n < 5 then 'order.paid' else 'order.refunded' end, 'order', (@orders)[n % 5 + 1], '{}'
                from generate_series(0, @last) as n
                order by n
                returning id
                """, new { orders, last = Events - 1 })];
        }
        const string Queued = "select count(*)::int from webhook_deliveries where outbox_id = any(@outboxIds)";
        await Eventually.WaitUntilAsync(async () => await api.Db.ScalarAsync<int>(Queued, new { outboxIds }) == Events * Endpoints,
            WebhookTestKit.Within, $"{Events * Endpoints} deliveries are queued");
        // created_at is the inserting transaction's now(): one value means one statement queued them all.
        const string Stamps = "select count(distinct created_at)::int from webhook_deliveries where outbox_id = any(@outboxIds)";
        Assert.Equal(1, await api.Db.ScalarAsync<int>(Stamps, new { outboxIds }));
        await AssertOutboxOrderPerEndpointAsync(outboxIds, endpoints);

        // A crash before the round's commit leaves the position where it was: the round is read again.
        var fanOut = api.Services.GetRequiredService<WebhookFanOut>();
        var rounds = fanOut.Rounds;
        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("update outbox_consumers set position_txid = @TxId::text::xid8, position_id = @Id where name = 'webhooks'",
                new { before.TxId, before.Id });
        }
        fanOut.Wake();
        await Eventually.WaitUntilAsync(async () => fanOut.Rounds > rounds && (await PositionAsync()).Id >= outboxIds.Max(),
            WebhookTestKit.Within, "the fan-out read the round again");
        Assert.Equal(Events * Endpoints, await api.Db.ScalarAsync<int>(Queued, new { outboxIds }));
        Assert.Equal(1, await api.Db.ScalarAsync<int>(Stamps, new { outboxIds }));

        // The same round handed over once more, directly: nothing is added.
        var again = outboxIds.Select((id, n) => new OutboxEvent(id, 0, n < 5 ? "order.paid" : "order.refunded", "order", orders[n % 5], [], DateTime.UtcNow)).ToList();
        Assert.Equal(0, await WebhookFanOut.QueueAsync(api.Db, again, CancellationToken.None));
    }

    [Fact]
    public async Task A_batch_settle_where_one_lease_was_taken_over_settles_the_others_and_leaves_that_one_alone()
    {
        var admin = api.Admin();
        var endpoint = (await admin.CreateWebhookEndpointAsync("http://127.0.0.1:27421/hook", "order.paid")).Endpoint.Id;
        var (a, b, c) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var (leaseA, leaseB, leaseC, takenOver) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            // Disabled, so the running sender leaves these rows to the test; claimed as a claim leaves them.
            await conn.ExecuteAsync("""
                update webhook_endpoints set enabled = false where id = @endpoint;
                insert into webhook_deliveries (id, endpoint_id, outbox_id, event_type, resource_id, payload, event_at, attempts, next_attempt_at, lease)
                select d.id, @endpoint, -row_number() over (), 'order.paid', d.id::text, '{}', now(), 1, now() + interval '15 seconds', d.lease
                from unnest(array[@a, @b, @c], array[@leaseA, @leaseB, @leaseC]) as d (id, lease);
                -- b's lease ran out and another send claimed it again
                update webhook_deliveries set lease = @takenOver, attempts = 2, next_attempt_at = now() + interval '1 hour' where id = @b;
                """, new { endpoint, a, b, c, leaseA, leaseB, leaseC, takenOver });
        }
        var bBefore = await RowAsync(b);

        var settlement = api.Services.GetRequiredService<WebhookSettlement>();
        await settlement.SettleAsync(
        [
            new FinishedSend(a, endpoint, leaseA, 1, 200, "ok", null, null, 3),
            new FinishedSend(b, endpoint, leaseB, 1, 200, "late", null, null, 4),
            new FinishedSend(c, endpoint, leaseC, 1, 500, "oops", "HTTP 500", null, 5),
        ], CancellationToken.None);

        var rowA = await RowAsync(a);
        Assert.Equal(("succeeded", 200, (Guid?)null), (rowA.Status, rowA.LastStatus, rowA.Lease));
        var rowC = await RowAsync(c);
        Assert.Equal(("pending", 500, "HTTP 500", (Guid?)null), (rowC.Status, rowC.LastStatus, rowC.LastError, rowC.Lease));
        // The schedule's first wait, 5 s ± 20 %, from now.
        Assert.InRange(await api.Db.ScalarAsync<double>("select extract(epoch from next_attempt_at - now())::float8 from webhook_deliveries where id = @c", new { c }), 3.0, 6.0);
        // b belongs to the send holding its new lease: untouched.
        Assert.Equal(bBefore, await RowAsync(b));
        Assert.Equal(takenOver, bBefore.Lease);

        // Every attempt is logged, the late one too, in one transaction (one now()).
        var attempts = (await QueryAsync<(Guid DeliveryId, int? StatusCode, string Snippet, DateTime At)>(
            "select delivery_id, status_code, response_snippet, at from webhook_attempts where delivery_id = any(@ids) order by response_snippet",
            new { ids = new[] { a, b, c } })).ToList();
        (Guid, int?, string)[] expected = [(b, 200, "late"), (a, 200, "ok"), (c, 500, "oops")];
        Assert.Equal(expected, attempts.Select(x => (x.DeliveryId, x.StatusCode, x.Snippet)));
        Assert.Single(attempts.Select(x => x.At).Distinct());
        // A success in the batch: the endpoint is not failing.
        Assert.Null(await api.Db.ScalarAsync<DateTime?>("select failing_since from webhook_endpoints where id = @endpoint", new { endpoint }));

        // A batch of failures only starts the failing-since time.
        await settlement.SettleAsync([new FinishedSend(b, endpoint, leaseB, 1, 503, null, "HTTP 503", TimeSpan.FromSeconds(30), 1)], CancellationToken.None);
        Assert.NotNull(await api.Db.ScalarAsync<DateTime?>("select failing_since from webhook_endpoints where id = @endpoint", new { endpoint }));
        Assert.Equal(bBefore, await RowAsync(b));
    }

    private async Task<(string TxId, long Id)> PositionAsync() =>
        (await QueryAsync<(string TxId, long Id)>("select position_txid::text, position_id from outbox_consumers where name = 'webhooks'")).Single();

    private async Task AssertOutboxOrderPerEndpointAsync(long[] outboxIds, List<Guid> endpoints)
    {
        var rows = (await QueryAsync<(Guid EndpointId, long OutboxId, long Seq)>(
            "select endpoint_id, outbox_id, seq from webhook_deliveries where outbox_id = any(@outboxIds)", new { outboxIds })).ToList();
        Assert.Equal(endpoints.Order(), rows.Select(r => r.EndpointId).Distinct().Order());
        foreach (var perEndpoint in rows.GroupBy(r => r.EndpointId))
        {
            var bySeq = perEndpoint.OrderBy(r => r.Seq).Select(r => r.OutboxId).ToList();
            Assert.Equal(bySeq.Order().ToList(), bySeq);
        }
    }

    private async Task<Row> RowAsync(Guid id) =>
        (await QueryAsync<Row>("select status, attempts, last_status as LastStatus, last_error as LastError, lease, next_attempt_at as NextAttemptAt from webhook_deliveries where id = @id", new { id })).Single();

    private async Task<IEnumerable<T>> QueryAsync<T>(string sql, object? args = null)
    {
        await using var conn = await api.Db.OpenConnectionAsync();
        return await conn.QueryAsync<T>(sql, args);
    }

    private sealed record Row(string Status, int Attempts, int? LastStatus, string? LastError, Guid? Lease, DateTime NextAttemptAt);
}
