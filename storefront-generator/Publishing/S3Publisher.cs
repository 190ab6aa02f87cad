using Amazon.S3;
using Amazon.S3.Model;

namespace Headless.Storefront.Publishing;

/// <summary>S3 settings; <see cref="ServiceUrl"/> points at an S3-compatible server (tests use npm s3rver).</summary>
public sealed class S3Settings
{
    public required string Bucket { get; init; }
    public string Prefix { get; init; } = "";
    public string Region { get; init; } = "eu-west-1";
    public string? ServiceUrl { get; init; }
    public bool ForcePathStyle { get; init; }
    public string? DistributionId { get; init; }
    /// <summary>CloudFront's endpoint; tests point it at a recording server.</summary>
    public string CloudFrontEndpoint { get; init; } = "https://cloudfront.amazonaws.com";
}

/// <summary>
/// Publishes to S3 with each file's content type and cache policy (short with stale-while-revalidate for
/// pages, immutable for fingerprinted assets), then asks CloudFront to forget exactly the changed pages.
/// </summary>
public sealed class S3Publisher(IAmazonS3 s3, S3Settings settings, CloudFrontInvalidator? cdn) : ISitePublisher
{
    public string Describe => $"s3://{settings.Bucket}/{settings.Prefix}" + (cdn is null ? "" : $" (CloudFront {settings.DistributionId})");

    public static AmazonS3Config Config(S3Settings settings)
    {
        var config = new AmazonS3Config { ForcePathStyle = settings.ForcePathStyle };
        if (settings.ServiceUrl is not null)
        {
            config.ServiceURL = settings.ServiceUrl;
            config.AuthenticationRegion = settings.Region;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(settings.Region);
        }
        return config;
    }

    public async Task PutAsync(IReadOnlyList<(string Path, byte[] Content)> files, CancellationToken ct)
    {
        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (file, token) =>
        {
            using var body = new MemoryStream(file.Content, writable: false);
            var request = new PutObjectRequest
            {
                BucketName = settings.Bucket,
                Key = settings.Prefix + file.Path,
                InputStream = body,
                ContentType = ContentTypes.Of(file.Path),
                // The local S3 stand-in does not speak aws-chunked uploads; plain bodies work with S3 too.
                UseChunkEncoding = false,
            };
            request.Headers.CacheControl = ContentTypes.CacheControl(file.Path);
            await s3.PutObjectAsync(request, token);
        });
    }

    public async Task DeleteAsync(IReadOnlyList<string> paths, CancellationToken ct)
    {
        foreach (var chunk in paths.Chunk(1000))
        {
            await s3.DeleteObjectsAsync(new DeleteObjectsRequest
            {
                BucketName = settings.Bucket,
                Objects = chunk.Select(p => new KeyVersion { Key = settings.Prefix + p }).ToList(),
            }, ct);
        }
    }

    public async Task CompleteAsync(IReadOnlyList<string> changedPaths, CancellationToken ct)
    {
        if (cdn is null)
        {
            return;
        }
        // Fingerprinted assets are new names, never stale: only pages and other unversioned files are invalidated.
        var paths = changedPaths.Where(p => !p.StartsWith("assets/", StringComparison.Ordinal)).Select(p => "/" + settings.Prefix + p).ToList();
        if (paths.Count > 0)
        {
            await cdn.InvalidateAsync(paths, ct);
        }
    }
}
