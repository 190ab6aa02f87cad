using Dapper;
using Headless.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Headless.Tests.Platform;

public sealed class PooledConnectionTests
{
    // Npgsql's reset of a reused connection is a statement and a transaction of its own before the request's
    // first command (it was half the commits of an add to cart). Session state that survives the pool shows
    // that no reset ran.
    [Fact]
    public async Task A_reused_pooled_connection_is_not_reset_first()
    {
        var (_, app) = await TestDatabase.CreateAsync();
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Headless:Database:ConnectionString"] = new NpgsqlConnectionStringBuilder(app) { MaxPoolSize = 1 }.ConnectionString,
        }).Build();
        await using var db = Api.Database.CreateDataSource(config);

        int firstPid;
        await using (var conn = await db.OpenConnectionAsync())
        {
            firstPid = await conn.ExecuteScalarAsync<int>("select pg_backend_pid() from (select set_config('headless.probe', 'kept', false)) s");
        }
        await using (var conn = await db.OpenConnectionAsync())
        {
            var (pid, probe) = await conn.QuerySingleAsync<(int, string)>("select pg_backend_pid(), current_setting('headless.probe', true)");
            Assert.Equal(firstPid, pid);
            Assert.Equal("kept", probe);
        }
    }
}
