using System.Net;
using Headless.Api.Features.Email;
using Headless.Api.Features.Orders;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Hosting;
using Headless.Api.Platform.Jobs;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Startup;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Headless.Tests.Cluster;

public abstract class RoleApi(string? role) : ApiFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        if (role is not null)
        {
            builder.UseSetting("Headless:Role", role);
        }
    }

    /// <summary>The hosted services the host starts (a gated-out one is a stand-in of another type).</summary>
    public Type[] Started() => [.. Services.GetServices<IHostedService>().Select(s => s.GetType())];
}

public sealed class DefaultRoleApi() : RoleApi(null);

public sealed class WebRoleApi() : RoleApi("web");

public sealed class WorkerRoleApi() : RoleApi("Worker");

public sealed class DefaultRoleTests(DefaultRoleApi api) : IClassFixture<DefaultRoleApi>
{
    [Fact]
    public async Task All_runs_the_requests_and_the_background_work_in_one_process()
    {
        Assert.Equal(HttpStatusCode.OK, (await api.CreateClient().GetAsync("/api/v1/products")).StatusCode);
        var started = api.Started();
        Assert.Contains(typeof(CatalogChangeListener), started);
        Assert.Contains(typeof(EmailConsumer), started);
        Assert.Contains(typeof(JobRunner), started);
        Assert.Contains(typeof(ReservationSweeper), started);
        Assert.Contains(typeof(OutboxPruner), started);
    }
}

public sealed class WebRoleTests(WebRoleApi api) : IClassFixture<WebRoleApi>
{
    [Fact]
    public async Task Web_serves_requests_and_keeps_its_cache_fresh_but_runs_no_background_work()
    {
        Assert.Equal(HttpStatusCode.OK, (await api.CreateClient().GetAsync("/api/v1/products")).StatusCode);
        var started = api.Started();
        Assert.Contains(typeof(StartupTasks), started);
        Assert.Contains(typeof(CatalogChangeListener), started);
        Assert.DoesNotContain(started, t => t.IsAssignableTo(typeof(OutboxConsumer)));
        Assert.DoesNotContain(typeof(JobRunner), started);
        Assert.DoesNotContain(typeof(ReservationSweeper), started);
        Assert.DoesNotContain(typeof(OutboxPruner), started);
        // The admin's live feed is an HTTP route that streams from this LISTEN.
        Assert.Contains(typeof(OutboxSignal), started);
    }
}

public sealed class WorkerRoleTests(WorkerRoleApi api) : IClassFixture<WorkerRoleApi>
{
    [Fact]
    public async Task Worker_runs_the_background_work_and_answers_only_health()
    {
        var started = api.Started();
        Assert.Contains(typeof(EmailConsumer), started);
        Assert.Contains(typeof(JobRunner), started);
        Assert.Contains(typeof(ReservationSweeper), started);
        Assert.Contains(typeof(OutboxPruner), started);

        var client = api.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        var problem = await (await client.GetAsync("/api/v1/products")).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains("worker", (string)problem["detail"]!, StringComparison.Ordinal);
        await (await api.Admin().GetAsync("/api/v1/admin/products")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public void An_unknown_role_refuses_the_start_up_naming_the_setting_and_the_choices()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Headless:Role"] = "leader" }).Build();
        var problems = StartupChecks.ForServer(config, new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = "Development" });
        var problem = Assert.Single(problems, p => p.StartsWith("Headless__Role", StringComparison.Ordinal));
        Assert.Contains("'leader'", problem, StringComparison.Ordinal);
        Assert.Contains("'web'", problem, StringComparison.Ordinal);
        Assert.Contains("'worker'", problem, StringComparison.Ordinal);
    }
}
