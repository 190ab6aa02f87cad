using System.Net;
using Dapper;
using Headless.Api.Features.Orders;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Headless.Tests.Platform;

/// <summary>A background service that throws must not stop the API, and the API's own loops go on
/// after a failure once its cause is gone.</summary>
public sealed class BackgroundServiceTests : IClassFixture<BackgroundServiceTests.Host>
{
    private readonly Host _host;

    public BackgroundServiceTests(Host host) => _host = host;

    public sealed class Host : ApiFactory
    {
        public CapturedLogs Logs { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Headless:Checkout:SweepIntervalSeconds", "1");
            builder.ConfigureLogging(l => l.AddProvider(Logs));
            builder.ConfigureTestServices(s => s.AddHostedService<Exploding>());
        }
    }

    /// <summary>Throws once, after start-up, the way a loop with a missing catch would.</summary>
    private sealed class Exploding : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Yield();
            throw new InvalidOperationException("a background loop failed");
        }
    }

    [Fact]
    public async Task A_background_service_that_throws_does_not_stop_the_host()
    {
        var client = _host.CreateClient();
        var lifetime = _host.Services.GetRequiredService<IHostApplicationLifetime>();
        for (var i = 0; i < 500 && !_host.Logs.Any(t => t.Contains("a background loop failed", StringComparison.Ordinal)); i++)
        {
            await Task.Delay(10);
        }
        Assert.True(_host.Logs.Any(t => t.Contains("a background loop failed", StringComparison.Ordinal)), "the service did not fail");

        Assert.Equal(BackgroundServiceExceptionBehavior.Ignore, _host.Services.GetRequiredService<IOptions<HostOptions>>().Value.BackgroundServiceExceptionBehavior);
        Assert.False(lifetime.ApplicationStopping.IsCancellationRequested, "the failed service stopped the host");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/categories")).StatusCode);
    }

    [Fact]
    public async Task The_reservation_sweeper_survives_a_table_it_reads_going_away_and_resumes_when_it_is_back()
    {
        _ = _host.Services;
        var sweeper = _host.Services.GetRequiredService<ReservationSweeper>();
        await using (var conn = await _host.Db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("alter table payments rename to payments_moved");
        }
        try
        {
            var failures = sweeper.SweepFailures;
            await WaitAsync(() => sweeper.SweepFailures > failures, "the sweep did not fail without its table");
        }
        finally
        {
            await using var conn = await _host.Db.OpenConnectionAsync();
            await conn.ExecuteAsync("alter table payments_moved rename to payments");
        }
        var sweeps = sweeper.Sweeps;
        await WaitAsync(() => sweeper.Sweeps > sweeps, "the sweeper did not resume");
        Assert.Equal(HttpStatusCode.OK, (await _host.CreateClient().GetAsync("/health/live")).StatusCode);
        // Logged without the exception's text: the type and SQL state only.
        Assert.True(_host.Logs.Any(t => t.Contains("Reservation sweep failed (PostgresException(42P01))", StringComparison.Ordinal)));
    }

    private static async Task WaitAsync(Func<bool> condition, string because)
    {
        // The sweeper ticks every second; give it a generous ten.
        for (var i = 0; i < 1000 && !condition(); i++)
        {
            await Task.Delay(10);
        }
        Assert.True(condition(), because);
    }
}
