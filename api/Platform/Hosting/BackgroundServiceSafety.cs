using Headless.Api.Platform.Outbox;

namespace Headless.Api.Platform.Hosting;

public static class BackgroundServiceSafety
{
    /// <summary>No background service can stop the API: .NET's default (StopHost) ends the whole process
    /// when one service's loop throws, so a bad row read by the sweeper would take the shop down. Each
    /// loop logs, backs off and goes on by itself; this is the net under a loop that still escapes.
    /// Also registers the outbox pruning job.</summary>
    public static IServiceCollection AddBackgroundServiceSafety(this IServiceCollection services)
    {
        services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);
        services.AddSingleton<OutboxPruner>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxPruner>());
        return services;
    }
}
