using System.Collections.Concurrent;
using System.Net;
using Headless.Api.Platform.Database;
using Headless.Api.Platform.Hosting;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Headless.Tests.Platform;

/// <summary>
/// PostgreSQL stopped and started again under requests. The shared test cluster cannot be stopped (other
/// classes use it), so this class runs its own private cluster on a port of its own.
/// </summary>
public sealed class DatabaseOutageTests : IAsyncLifetime
{
    private static readonly int Port = int.Parse(Environment.GetEnvironmentVariable("HEADLESS_TEST_PG_PORT") ?? "54339",
        System.Globalization.CultureInfo.InvariantCulture) + 1000;
    private static readonly string Directory = Path.Combine(RepoPaths.Data, $"test-pg-outage-{Port}");
    private LocalPostgres _pg = null!;
    private WebApplicationFactory<Program> _api = null!;

    public async Task InitializeAsync()
    {
        _pg = await LocalPostgres.StartAsync(Directory, Port, null, TextWriter.Null);
        var database = $"outage_{Guid.NewGuid():N}"[..20];
        var logins = await LocalLogins.EnsureAsync(_pg.ConnectionString("postgres"), Directory, database);
        _api = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("Headless:Database:ConnectionString", logins.App);
            b.UseSetting("Headless:Database:MigrationConnectionString", logins.Owner);
            b.UseSetting("Headless:Catalog:LoadDemoCatalog", "false");
        });
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        await _pg.StopAsync();
    }

    [Fact]
    public async Task A_stopped_database_answers_503_with_retry_after_never_500_and_the_api_recovers_after_restart()
    {
        var client = _api.CreateClient();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/v1/carts", null)).StatusCode);

        // Requests keep coming while the server stops (fast shutdown: sessions get 57P01) and is down.
        var statuses = new ConcurrentBag<HttpStatusCode>();
        var problems = new ConcurrentBag<HttpResponseMessage>();
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var response = await client.PostAsync("/api/v1/carts", null);
                statuses.Add(response.StatusCode);
                if (response.StatusCode != HttpStatusCode.Created)
                {
                    problems.Add(response);
                }
                await Task.Delay(5); // load, not a busy loop on a shared machine
            }
        })).ToArray();
        await _pg.StopAsync();
        // Down: every request now is a 503 (the load above and these).
        for (var i = 0; i < 5; i++)
        {
            var down = await client.PostAsync("/api/v1/carts", null);
            var problem = await down.ProblemAsync(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("https://headless.dev/problems/database-unavailable", problem["type"]!.GetValue<string>());
            Assert.Contains("retry", problem["detail"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
            Assert.True(down.Headers.RetryAfter?.Delta is { } delay && delay > TimeSpan.Zero && delay <= TimeSpan.FromSeconds(30),
                "503 without a Retry-After of a few seconds");
        }
        _pg = await LocalPostgres.StartAsync(Directory, Port, null, TextWriter.Null);

        // Up again: connections the pool still holds from before the restart are found broken one by one
        // (each of those requests a 503 too); then requests succeed without a restart of the API.
        HttpStatusCode status = 0;
        for (var attempt = 0; attempt < 200 && status != HttpStatusCode.Created; attempt++)
        {
            var response = await client.PostAsync("/api/v1/carts", null);
            status = response.StatusCode;
            statuses.Add(status);
            if (status != HttpStatusCode.Created)
            {
                problems.Add(response);
            }
        }
        await stop.CancelAsync();
        await Task.WhenAll(load);

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.DoesNotContain(HttpStatusCode.InternalServerError, statuses);
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.Created or HttpStatusCode.ServiceUnavailable, $"unexpected {(int)s}"));
        foreach (var response in problems)
        {
            await response.ProblemAsync(HttpStatusCode.ServiceUnavailable);
            Assert.NotNull(response.Headers.RetryAfter);
        }
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
    }

    [Fact]
    public async Task After_a_restart_every_request_but_the_first_succeeds_whatever_the_pool_held_before()
    {
        var client = _api.CreateClient();
        // Fill the pool: concurrent requests each hold a connection, which then sit idle in the pool.
        var warm = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => client.PostAsync("/api/v1/carts", null)));
        Assert.All(warm, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));

        await _pg.StopAsync();
        _pg = await LocalPostgres.StartAsync(Directory, Port, null, TextWriter.Null);

        // One request at a time: the first may meet a connection from before the restart (a 503); none after it
        // may, however many connections the pool held (Npgsql drops the dead ones when it hands them out).
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
        {
            statuses.Add((await client.PostAsync("/api/v1/carts", null)).StatusCode);
        }
        Assert.True(statuses.Skip(1).All(s => s == HttpStatusCode.Created), $"after a restart: {string.Join(", ", statuses.Select(s => (int)s))}");
    }
}
