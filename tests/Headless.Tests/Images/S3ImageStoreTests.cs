using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Headless.Api.Platform.Storage;
using Headless.Contracts.Catalog;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Headless.Tests.Images;

/// <summary>The API storing images in S3: a real S3-compatible server (npm s3rver on 127.0.0.1).</summary>
public sealed class S3ImageStoreTests : IAsyncLifetime
{
    private const string Bucket = "shop-images";
    private readonly string _s3Directory = Path.Combine(Path.GetTempPath(), "headless-s3img-" + Guid.NewGuid().ToString("N")[..10]);
    private NodeTool _s3rver = null!;
    private AmazonS3Client _s3 = null!;
    private S3Api _api = null!;

    private sealed class S3Api(IAmazonS3 s3, ObjectStoreOptions options) : ApiFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services => services.AddSingleton<IObjectStore>(new S3ObjectStore(s3, options)));
        }
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_s3Directory);
        _s3rver = await NodeTool.StartAsync("tests/tools/s3rver.mjs", "0", _s3Directory, Bucket);
        var options = new ObjectStoreOptions
        {
            S3Bucket = Bucket,
            S3Prefix = "shop/",
            S3ServiceUrl = $"http://127.0.0.1:{_s3rver.Ready.GetProperty("port").GetInt32()}",
            S3ForcePathStyle = true,
            PublicBaseUrl = "https://cdn.example",
        };
        _s3 = new AmazonS3Client(new BasicAWSCredentials("S3RVER", "S3RVER"), S3ObjectStore.Config(options));
        _api = new S3Api(_s3, options);
        await _api.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        _s3.Dispose();
        await _s3rver.DisposeAsync();
        Directory.Delete(_s3Directory, recursive: true);
    }

    [Fact]
    public async Task Every_width_and_format_lands_in_the_bucket_with_its_type_and_a_long_cache_and_leaves_it_on_delete()
    {
        var admin = _api.Admin();
        var product = await admin.CreateProductAsync(CatalogSeed.Product(variants: [CatalogSeed.Variant()]) with { Images = [] });
        var updated = await (await admin.UploadAsync(product, TestImages.Webp(1000, 700), "image/webp", alt: "In S3")).ReadAsync<ProductDetail>(HttpStatusCode.Created);
        var image = Assert.Single(updated.Images);

        Assert.Equal(9, image.Sources!.Count);
        Assert.StartsWith("https://cdn.example/shop/images/products/", image.Url, StringComparison.Ordinal);
        foreach (var source in image.Sources!)
        {
            var key = source.Url["https://cdn.example/".Length..];
            var meta = await _s3.GetObjectMetadataAsync(Bucket, key);
            Assert.Equal(source.Format == "jpeg" ? "image/jpeg" : "image/" + source.Format, meta.Headers.ContentType);
            Assert.Equal("public, max-age=31536000, immutable", meta.Headers.CacheControl);
            using var body = await _s3.GetObjectAsync(Bucket, key);
            using var bytes = new MemoryStream();
            await body.ResponseStream.CopyToAsync(bytes);
            var (_, width, height, _, _) = TestImages.Describe(bytes.ToArray());
            Assert.Equal((source.Width, source.Height), (width, height));
        }

        await (await admin.DeleteWithIfMatchAsync($"{ImageUploads.ImagesUrl(product.Id)}/{image.Id}", AdminIfMatch.ETag(updated.Version))).ReadAsync<ProductDetail>();
        var left = await _s3.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = Bucket, Prefix = "shop/images/" });
        Assert.Empty(left.S3Objects ?? []);
    }
}
