using System.Net;
using System.Net.Http.Json;
using Dapper;
using Headless.Contracts.Accounts;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Headless.Tests.Cluster;

/// <summary>Two API hosts on one database, as two instances behind a load balancer are.</summary>
public sealed class TwoHostsOneDatabase : ApiFactory, IAsyncLifetime
{
    public const int LoginPerMinute = 4;

    public WebApplicationFactory<Program> Second { get; private set; } = null!;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Headless:Accounts:LoginPerMinute", LoginPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public new async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Second = WithWebHostBuilder(_ => { });
    }

    public new async Task DisposeAsync()
    {
        await Second.DisposeAsync();
        await base.DisposeAsync();
    }
}

public sealed class SharedRateLimitTests(TwoHostsOneDatabase hosts) : IClassFixture<TwoHostsOneDatabase>
{
    private static async Task<HttpStatusCode> LoginAsync(HttpClient client)
    {
        var response = await client.PostAsJsonAsync("/api/v1/auth/login",
            new LoginRequest($"nobody-{Guid.NewGuid():N}@example.test", "not the password", null, null, false), Http.Json);
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            // The 429 and its Retry-After are the same as with the per-process limiter.
            Assert.Equal("60", response.Headers.RetryAfter!.ToString());
            await response.ProblemAsync(HttpStatusCode.TooManyRequests);
        }
        return response.StatusCode;
    }

    [Fact]
    public async Task The_login_budget_is_one_for_both_instances_not_one_each()
    {
        var a = hosts.CreateClient();
        var b = hosts.Second.CreateClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < TwoHostsOneDatabase.LoginPerMinute + 2; i++)
        {
            statuses.Add(await LoginAsync(i % 2 == 0 ? a : b));
        }
        // A minute boundary between the attempts starts a new window (and a new budget); the database says
        // which windows were used, and only the one-window outcome is judged.
        await using var conn = await hosts.Db.OpenConnectionAsync();
        var windows = (await conn.QueryAsync<int>("select hits from rate_limit_windows where limit_name = 'login'")).ToList();
        Assert.Equal(statuses.Count, windows.Sum());
        // The client address is stored only as its keyed hash, the same on both instances.
        Assert.All(await conn.QueryAsync<string>("select partition_key from rate_limit_windows"), key => Assert.Matches("^[0-9a-f]{64}$", key));
        if (windows.Count > 1)
        {
            return;
        }
        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, TwoHostsOneDatabase.LoginPerMinute),
            HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, await LoginAsync(a));
        Assert.Equal(HttpStatusCode.TooManyRequests, await LoginAsync(b));
    }
}
