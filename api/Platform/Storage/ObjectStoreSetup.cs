using Amazon.S3;
using Headless.Api.Platform.Hosting;
using Microsoft.Extensions.Options;

namespace Headless.Api.Platform.Storage;

public static class ObjectStoreSetup
{
    /// <summary>S3 when a bucket is configured (credentials from the SDK's usual chain: environment, profile,
    /// task role), else the local folder.</summary>
    public static IServiceCollection AddObjectStore(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<ObjectStoreOptions>(config.GetSection(ObjectStoreOptions.Section));
        services.AddSingleton<IObjectStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ObjectStoreOptions>>().Value;
            if (!string.IsNullOrEmpty(options.S3Bucket))
            {
                return new S3ObjectStore(new AmazonS3Client(S3ObjectStore.Config(options)), options);
            }
            var directory = string.IsNullOrWhiteSpace(options.Directory)
                ? StorefrontHosting.SiteDirectory(config)
                : Path.GetFullPath(options.Directory, RepoPaths.Root);
            return new LocalFolderStore(directory, options.PublicBaseUrl);
        });
        return services;
    }
}
