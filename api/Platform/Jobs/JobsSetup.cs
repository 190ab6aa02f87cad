namespace Headless.Api.Platform.Jobs;

public static class JobsSetup
{
    /// <summary>The job runner (a hosted service in every instance) and its options from `Headless:Jobs`.</summary>
    public static IServiceCollection AddJobs(this IServiceCollection services, IConfiguration config)
    {
        var options = new JobsOptions();
        config.GetSection(JobsOptions.Section).Bind(options);
        services.AddSingleton(options.Validate());
        services.AddSingleton<JobRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        return services;
    }

    /// <summary>Registers the handler of one job kind; the runner claims jobs of every registered kind.</summary>
    public static IServiceCollection AddJobHandler<T>(this IServiceCollection services) where T : class, IJobHandler =>
        services.AddSingleton<IJobHandler, T>();
}
