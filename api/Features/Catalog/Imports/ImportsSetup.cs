using Headless.Api.Platform.Jobs;

namespace Headless.Api.Features.Catalog.Imports;

public static class ImportsSetup
{
    public static IServiceCollection AddProductImports(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<ImportOptions>(config.GetSection(ImportOptions.Section));
        services.AddJobHandler<ProductImportHandler>();
        return services;
    }
}
