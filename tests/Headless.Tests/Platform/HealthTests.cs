using System.Net;
using System.Text.Json.Nodes;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Platform;

public sealed class HealthTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Ready_reports_the_database_and_the_applied_migrations()
    {
        var client = api.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        JsonNode body = null!;
        // Right after start the search indexer may not have started yet (Degraded, still 200): wait for it.
        await Email.Eventually.WaitUntilAsync(async () =>
        {
            var ready = await client.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            body = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;
            return body["status"]!.GetValue<string>() == "Healthy";
        }, TimeSpan.FromSeconds(20), "the API reports Healthy");
        Assert.Equal("0", body["checks"]!["database"]!["migrationsPending"]!.GetValue<string>());
    }

    [Fact]
    public async Task Ready_fails_when_a_migration_is_missing()
    {
        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            await Dapper.SqlMapper.ExecuteAsync(conn, "delete from schema_migrations where version = (select max(version) from schema_migrations)");
        }
        try
        {
            var ready = await api.CreateClient().GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal("1", JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["checks"]!["database"]!["migrationsPending"]!.GetValue<string>());
        }
        finally
        {
            await using var conn = await api.Db.OpenConnectionAsync();
            await Dapper.SqlMapper.ExecuteAsync(conn, "insert into schema_migrations (version, checksum) values (@v, @c)",
                new { v = Headless.Api.Platform.Database.Migrator.All[^1].Version, c = Headless.Api.Platform.Database.Migrator.All[^1].Checksum });
        }
    }
}
