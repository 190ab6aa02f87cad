using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Headless.Api.Platform.Audit;

public static class AuditSetup
{
    public static IServiceCollection AddAuditLog(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<AuditOptions>(config.GetSection(AuditOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.AddHostedService<AuditHeadLog>();
        return services;
    }
}
