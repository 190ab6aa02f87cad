using Headless.Api.Features.Demo;
using Headless.Api.Platform.Storage;

namespace Headless.Api.Features.Catalog.Images;

public static class ImagesSetup
{
    /// <summary>The image pipeline and the object store it writes to.</summary>
    public static IServiceCollection AddProductImages(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<ImageOptions>(config.GetSection(ImageOptions.Section));
        services.AddObjectStore(config);
        services.AddSingleton<ImagePipeline>();
        services.AddHostedService<DemoProductImages>();
        return services;
    }
}
