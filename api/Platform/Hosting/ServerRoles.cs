using Headless.Api.Platform.Caching;

namespace Headless.Api.Platform.Hosting;

/// <summary>What one process of a scaled-out deployment does (`Headless__Role`).</summary>
public enum ServerRole
{
    /// <summary>Everything in one process: the default, and what `./build.sh run` does.</summary>
    All,

    /// <summary>HTTP with its caches and their LISTEN invalidation; none of the background work.</summary>
    Web,

    /// <summary>The background work (outbox consumers, job runner, sweepers, pruners); HTTP answers only
    /// health and metrics, so a load balancer can check it but never sends it shoppers.</summary>
    Worker,
}

/// <summary>
/// The role switch. Hosted services are gated in one place, after everything is registered, by what they
/// are rather than by who registered them: a web process keeps only the services that serve requests
/// (<see cref="ServesRequests"/>: migrations at start-up, the catalog cache's invalidation, the live feed's LISTEN) and every
/// other hosted service is background work that runs in `all` and `worker`. So a consumer added later
/// (outbound webhooks) is registered with plain <c>AddHostedService</c> and follows the role by itself.
/// A gated-out service is still constructed (a factory registration tells its type only by running) but
/// never started.
/// </summary>
public static class ServerRoles
{
    public const string Key = "Headless:Role";

    // OutboxSignal is the one LISTEN that the admin's live feed (GET /api/v1/admin/live) streams from.
    private static readonly Type[] ServesRequests = [typeof(StartupTasks), typeof(CatalogChangeListener), typeof(Outbox.OutboxSignal), typeof(Vaults.VaultStartup)];

    /// <summary>The configured role, or the message that refuses the start-up.</summary>
    public static (ServerRole Role, string? Error) Read(IConfiguration config)
    {
        var value = config[Key]?.Trim();
        return value?.ToLowerInvariant() switch
        {
            null or "" or "all" => (ServerRole.All, null),
            "web" => (ServerRole.Web, null),
            "worker" => (ServerRole.Worker, null),
            _ => (ServerRole.All, $"Headless__Role: '{value}' is not a role; use 'all' (the default: one process does everything), "
                + "'web' (HTTP only, behind a load balancer) or 'worker' (the background consumers and jobs)."),
        };
    }

    /// <summary>Whether a hosted service of this type starts in <paramref name="role"/>.</summary>
    public static bool Runs(ServerRole role, Type service) => role != ServerRole.Web || ServesRequests.Contains(service);

    /// <summary>Call last before Build: wraps every hosted service registered so far in the role's gate.</summary>
    public static IServiceCollection GateHostedServicesByRole(this IServiceCollection services, IConfiguration config)
    {
        var (role, _) = Read(config);
        if (role == ServerRole.All)
        {
            return services;
        }
        for (var i = 0; i < services.Count; i++)
        {
            var descriptor = services[i];
            if (descriptor.ServiceType == typeof(IHostedService) && !descriptor.IsKeyedService)
            {
                services[i] = ServiceDescriptor.Singleton<IHostedService>(sp =>
                {
                    var service = Create(descriptor, sp);
                    return Runs(role, service.GetType())
                        ? service
                        : new NotInThisRole(service.GetType().Name, role, sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ServerRoles)));
                });
            }
        }
        return services;
    }

    /// <summary>A worker process answers health and metrics only; anything else is a 404 problem that says why.</summary>
    public static WebApplication UseServerRole(this WebApplication app)
    {
        if (Read(app.Configuration).Role != ServerRole.Worker)
        {
            return app;
        }
        app.Use(async (http, next) =>
        {
            if (http.Request.Path.StartsWithSegments("/health") || http.Request.Path.StartsWithSegments("/metrics"))
            {
                await next(http);
                return;
            }
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails = new Microsoft.AspNetCore.Mvc.ProblemDetails
                {
                    Status = StatusCodes.Status404NotFound,
                    Title = "Not served by a worker instance",
                    Type = Problems.Problems.TypeBase + "not-found",
                    Detail = "This process runs the background work only (Headless__Role=worker) and answers /health and /metrics. Send API requests to a web instance.",
                },
            });
        });
        return app;
    }

    private static IHostedService Create(ServiceDescriptor descriptor, IServiceProvider sp) =>
        descriptor.ImplementationInstance as IHostedService
        ?? descriptor.ImplementationFactory?.Invoke(sp) as IHostedService
        ?? (IHostedService)ActivatorUtilities.CreateInstance(sp, descriptor.ImplementationType!);

    /// <summary>Stands in for a hosted service the role does not run, and says so once in the log.</summary>
    private sealed class NotInThisRole(string service, ServerRole role, ILogger log) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            log.LogInformation("Role {Role}: {Service} is not started in this process", role.ToString().ToLowerInvariant(), service);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
