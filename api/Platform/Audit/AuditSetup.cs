using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Headless.Api.Platform.Audit;

public static class AuditSetup
{
    public static IServiceCollection AddAuditLog(this IServiceCollection services, IConfiguration config)
    {
        services.AddOptions<AuditOptions>().Bind(config.GetSection(AuditOptions.Section))
            .Validate(o => o.HeadLogInterval > TimeSpan.Zero, "Headless:Audit:HeadLogInterval must be a positive time span, such as 1.00:00:00 for daily.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHostedService<AuditHeadLog>();
        return services;
    }
}
