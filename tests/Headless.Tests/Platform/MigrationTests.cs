using Dapper;
using Headless.Api.Platform.Database;
using Headless.Tests.Infrastructure;
using Npgsql;

namespace Headless.Tests.Platform;

public sealed class MigrationTests
{
    private static async Task<NpgsqlDataSource> EmptyDatabaseAsync() => NpgsqlDataSource.Create((await TestDatabase.CreateEmptyAsync()).Owner);

    [Fact]
    public async Task Instances_starting_together_apply_each_migration_exactly_once()
    {
        await using var db = await EmptyDatabaseAsync();

        var runs = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => Migrator.MigrateAsync(db))));

        Assert.Equal(Migrator.All.Count, runs.Sum(r => r.Count));
        Assert.Single(runs, r => r.Count > 0);
        await using var conn = await db.OpenConnectionAsync();
        var recorded = (await conn.QueryAsync<string>("select version from schema_migrations order by version")).ToList();
        Assert.Equal(Migrator.All.Select(m => m.Version), recorded);
        Assert.Empty(await Migrator.PendingAsync(conn));
    }

    [Fact]
    public async Task An_applied_migration_that_was_edited_stops_the_start()
    {
        await using var db = await EmptyDatabaseAsync();
        await Migrator.MigrateAsync(db);
        await using (var conn = await db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("update schema_migrations set checksum = 'edited' where version = @v", new { v = Migrator.All[0].Version });
        }
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Migrator.MigrateAsync(db));
        Assert.Contains(Migrator.All[0].Version, error.Message);
    }
}
