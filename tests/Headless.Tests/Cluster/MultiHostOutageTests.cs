using Headless.Api.Platform.Problems;
using Headless.Tests.Infrastructure;
using Npgsql;

namespace Headless.Tests.Cluster;

/// <summary>
/// Found by the failover drill: during a failover the instances' multi-host pools (primary, standby;
/// Target Session Attributes=primary) reach every host and find no primary until the standby is promoted.
/// Npgsql then throws a bare "No suitable host was found", which used to be answered 500, not 503.
/// </summary>
public sealed class MultiHostOutageTests
{
    [Fact]
    public async Task A_multi_host_pool_that_finds_no_host_of_the_kind_it_needs_counts_as_the_database_unavailable()
    {
        var logins = await TestDatabase.CreateEmptyAsync();
        var server = new NpgsqlConnectionStringBuilder(logins.App);
        // Two hosts (the same primary twice, so the pool is a multi-host one) and a standby asked for: none fits,
        // as no primary fits while a standby is still being promoted.
        var csb = new NpgsqlConnectionStringBuilder(logins.App)
        {
            Host = $"{server.Host}:{server.Port},{server.Host}:{server.Port}",
            TargetSessionAttributes = "standby",
            Pooling = false,
        };
        await using var db = new NpgsqlDataSourceBuilder(csb.ConnectionString).Build();

        var error = await Assert.ThrowsAnyAsync<NpgsqlException>(async () => await db.OpenConnectionAsync());

        Assert.StartsWith("No suitable host", error.Message, StringComparison.Ordinal);
        Assert.True(DatabaseUnavailable.Is(error), $"{error.GetType().Name}: {error.Message}");
    }
}
