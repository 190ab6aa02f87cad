using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace Headless.Api.Platform.Storage;

/// <summary>Objects in an S3 bucket (or an S3-compatible server), cached by browsers and the CDN for a year:
/// their names are content hashes, so an object never changes under its key.</summary>
public sealed class S3ObjectStore(IAmazonS3 s3, ObjectStoreOptions options) : IObjectStore
{
    public string Describe => $"s3://{options.S3Bucket}/{options.S3Prefix}";

    public static AmazonS3Config Config(ObjectStoreOptions options)
    {
        var config = new AmazonS3Config { ForcePathStyle = options.S3ForcePathStyle };
        if (!string.IsNullOrEmpty(options.S3ServiceUrl))
        {
            config.ServiceURL = options.S3ServiceUrl;
            config.AuthenticationRegion = options.S3Region;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.S3Region);
        }
        return config;
    }

    public string PublicUrl(string key) => options.PublicBaseUrl.TrimEnd('/') + "/" + options.S3Prefix + key;

    public async Task<bool> ExistsAsync(string key, CancellationToken ct)
    {
        try
        {
            await s3.GetObjectMetadataAsync(options.S3Bucket, options.S3Prefix + key, ct);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public async Task PutAsync(string key, byte[] content, string contentType, CancellationToken ct)
    {
        using var body = new MemoryStream(content, writable: false);
        var request = new PutObjectRequest
        {
            BucketName = options.S3Bucket,
            Key = options.S3Prefix + key,
            InputStream = body,
            ContentType = contentType,
            // Local S3-compatible servers do not speak aws-chunked uploads; plain bodies work with S3 too.
            UseChunkEncoding = false,
        };
        request.Headers.CacheControl = "public, max-age=31536000, immutable";
        await s3.PutObjectAsync(request, ct);
    }

    public async Task DeleteAsync(IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        foreach (var chunk in keys.Chunk(1000))
        {
            await s3.DeleteObjectsAsync(new DeleteObjectsRequest
            {
                BucketName = options.S3Bucket,
                Objects = chunk.Select(k => new KeyVersion { Key = options.S3Prefix + k }).ToList(),
            }, ct);
        }
    }
}
