using Dapper;
using Headless.Api.Platform.Outbox;
using Headless.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Headless.Tests.Platform;

public sealed class OutboxPruningTests : IAsyncLifetime
{
    private NpgsqlDataSource _db = null!;

    public async Task InitializeAsync() => _db = NpgsqlDataSource.Create((await TestDatabase.CreateAsync()).App);

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private OutboxPruner Pruner(int? retentionDays = null)
    {
        var settings = new Dictionary<string, string?>();
        if (retentionDays is { } days)
        {
            settings[OutboxPruner.RetentionKey] = days.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return new OutboxPruner(_db, new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), NullLogger<OutboxPruner>.Instance);
    }

    private async Task<long> AppendAsync(NpgsqlConnection conn, string topic, int daysAgo) =>
        await conn.ExecuteScalarAsync<long>("""
            insert into outbox (topic, aggregate_type, aggregate_id, payload, created_at)
            values (@topic, 'email', 'anonymous', '{"to": "someone@example.test"}', now() - @daysAgo * interval '1 day')
            returning id
            """, new { topic, daysAgo });

    [Fact]
    public async Task Delivered_rows_older_than_the_retention_are_deleted_and_nothing_else()
    {
        await using var conn = await _db.OpenConnectionAsync();
        var oldDelivered = await AppendAsync(conn, "email.requested", daysAgo: 40);
        var recentDelivered = await AppendAsync(conn, "email.requested", daysAgo: 10);
        await conn.ExecuteAsync("insert into email_deliveries (outbox_id, template) values (@oldDelivered, 'order-confirmation'), (@recentDelivered, 'order-confirmation')",
            new { oldDelivered, recentDelivered });
        // The one consumer has read up to recentDelivered; the next old row is still waiting for it.
        await conn.ExecuteAsync("""
            insert into outbox_consumers (name, position_txid, position_id)
            select 'email', txid, id from outbox where id = @recentDelivered
            """, new { recentDelivered });
        var oldUndelivered = await AppendAsync(conn, "email.requested", daysAgo: 50);

        Assert.Equal(1, await Pruner().PruneAsync(default));
        var left = (await conn.QueryAsync<long>("select id from outbox order by id")).ToList();
        Assert.Equal([recentDelivered, oldUndelivered], left);
        Assert.Equal([recentDelivered], await conn.QueryAsync<long>("select outbox_id from email_deliveries"));

        // A shorter, configured retention takes the ten-day-old delivered row too; the unread one stays.
        Assert.Equal(1, await Pruner(retentionDays: 5).PruneAsync(default));
        Assert.Equal([oldUndelivered], await conn.QueryAsync<long>("select id from outbox order by id"));
    }

    [Fact]
    public void The_retention_defaults_to_30_days()
    {
        Assert.Equal(TimeSpan.FromDays(30), Pruner().Retention);
        Assert.Equal(TimeSpan.FromDays(7), Pruner(retentionDays: 7).Retention);
    }
}
