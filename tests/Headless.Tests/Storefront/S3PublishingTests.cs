using System.Net;
using System.Text;
using System.Xml.Linq;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Headless.Storefront.Publishing;
using Headless.Storefront.Rendering;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Storefront;

/// <summary>
/// Publishing to S3 against a real S3-compatible server (npm s3rver on 127.0.0.1), followed by a CloudFront
/// invalidation of the changed pages (recorded by a real HTTP server).
/// </summary>
public sealed class S3PublishingTests : IAsyncLifetime
{
    private const string Bucket = "shop";
    private readonly ShopFactory _shop = new();
    private readonly string _s3Directory = Path.Combine(Path.GetTempPath(), "headless-s3-" + Guid.NewGuid().ToString("N")[..10]);
    private NodeTool _s3rver = null!;
    private RecordingServer _cloudFront = null!;
    private AmazonS3Client _s3 = null!;

    public async Task InitializeAsync()
    {
        await _shop.InitializeAsync();
        Directory.CreateDirectory(_s3Directory);
        _s3rver = await NodeTool.StartAsync("tests/tools/s3rver.mjs", "0", _s3Directory, Bucket);
        _cloudFront = await RecordingServer.StartAsync();
        var settings = new S3Settings
        {
            Bucket = Bucket,
            ServiceUrl = $"http://127.0.0.1:{_s3rver.Ready.GetProperty("port").GetInt32()}",
            ForcePathStyle = true,
            DistributionId = "EDFDVBD6EXAMPLE",
        };
        _s3 = new AmazonS3Client(new BasicAWSCredentials("S3RVER", "S3RVER"), S3Publisher.Config(settings));
    }

    public async Task DisposeAsync()
    {
        _s3.Dispose();
        await _cloudFront.DisposeAsync();
        await _s3rver.DisposeAsync();
        await _shop.DisposeAsync();
        Directory.Delete(_s3Directory, recursive: true);
    }

    private S3Publisher Publisher() => new(_s3, new S3Settings { Bucket = Bucket, DistributionId = "EDFDVBD6EXAMPLE" },
        new CloudFrontInvalidator(CloudFrontInvalidator.SignedClient(new BasicAWSCredentials("AKIDEXAMPLE", "secret"), _cloudFront.Url), "EDFDVBD6EXAMPLE"));

    [Fact]
    public async Task The_shop_is_published_with_content_types_and_cache_policy_and_only_changed_pages_are_invalidated()
    {
        var generator = _shop.Generator(Publisher(), _shop.Options("s3"));
        var full = await generator.BuildAsync();

        var keys = await KeysAsync();
        Assert.Equal(generator.Manifest.Files.Keys.Order(StringComparer.Ordinal), keys);
        var home = await _s3.GetObjectMetadataAsync(Bucket, "index.html");
        Assert.Equal("text/html; charset=utf-8", home.Headers.ContentType);
        Assert.Equal("public, max-age=60, stale-while-revalidate=600", home.Headers.CacheControl);
        var css = keys.Single(k => k.StartsWith("assets/site.", StringComparison.Ordinal));
        var asset = await _s3.GetObjectMetadataAsync(Bucket, css);
        Assert.Equal("text/css; charset=utf-8", asset.Headers.ContentType);
        Assert.Equal("public, max-age=31536000, immutable", asset.Headers.CacheControl);
        Assert.Equal("application/xml; charset=utf-8", (await _s3.GetObjectMetadataAsync(Bucket, "sitemap.xml")).Headers.ContentType);
        Assert.Equal("image/svg+xml", (await _s3.GetObjectMetadataAsync(Bucket, keys.First(k => k.EndsWith(".svg", StringComparison.Ordinal)))).Headers.ContentType);

        // The full build invalidated its pages in one batch, never the fingerprinted assets.
        Assert.Equal(full.Written.Where(p => !p.StartsWith("assets/", StringComparison.Ordinal)).SelectMany(p => CloudFrontInvalidator.PublicUrls("/" + p)).Order(StringComparer.Ordinal),
            InvalidatedPaths(_cloudFront.Requests.Single()).Order(StringComparer.Ordinal));

        // One change: the changed objects are replaced and exactly their paths invalidated.
        var product = await _shop.ProductAsync((await _shop.ListAsync())[40].Slug);
        await _shop.RenameAsync(product, "Renamed For The CDN");
        var rebuild = await ShopFactory.NextRebuildAsync(generator, TimeSpan.FromSeconds(10));
        Assert.Contains(SitePaths.Product(product.Slug), rebuild.Written);
        Assert.Contains("Renamed For The CDN", await BodyAsync(SitePaths.Product(product.Slug)), StringComparison.Ordinal);
        Assert.Equal(2, _cloudFront.Requests.Count);
        Assert.Equal(rebuild.Written.SelectMany(p => CloudFrontInvalidator.PublicUrls("/" + p)).Order(StringComparer.Ordinal), InvalidatedPaths(_cloudFront.Requests.Last()).Order(StringComparer.Ordinal));

        // Archiving deletes the object and invalidates its path.
        await _shop.ArchiveAsync(product.Id);
        var removal = await ShopFactory.NextRebuildAsync(generator, TimeSpan.FromSeconds(10));
        Assert.Contains(SitePaths.Product(product.Slug), removal.Deleted);
        var gone = await Assert.ThrowsAsync<AmazonS3Exception>(() => _s3.GetObjectMetadataAsync(Bucket, SitePaths.Product(product.Slug)));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Contains("/" + SitePaths.Product(product.Slug), InvalidatedPaths(_cloudFront.Requests.Last()));
        Assert.Contains("/" + SitePaths.Product(product.Slug)[..^"index.html".Length], InvalidatedPaths(_cloudFront.Requests.Last()));
    }

    private async Task<List<string>> KeysAsync()
    {
        var keys = new List<string>();
        var request = new ListObjectsV2Request { BucketName = Bucket };
        ListObjectsV2Response response;
        do
        {
            response = await _s3.ListObjectsV2Async(request);
            keys.AddRange((response.S3Objects ?? []).Select(o => o.Key));
            request.ContinuationToken = response.NextContinuationToken;
        }
        while (response.IsTruncated == true);
        return [.. keys.Order(StringComparer.Ordinal)];
    }

    private async Task<string> BodyAsync(string key)
    {
        using var response = await _s3.GetObjectAsync(Bucket, key);
        using var reader = new StreamReader(response.ResponseStream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    private static List<string> InvalidatedPaths(RecordedRequest request)
    {
        XNamespace cf = CloudFrontInvalidator.Namespace;
        return XDocument.Parse(Encoding.UTF8.GetString(request.Body)).Descendants(cf + "Path").Select(p => p.Value).ToList();
    }
}
