using System.Net.Http.Headers;
using Headless.Contracts.Catalog;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Headless.Tests.Images;

/// <summary>The API with its object store in a folder of its own and a 3 MB upload limit (so the oversize test
/// sends 3 MB, not 20).</summary>
public class ImageApiFactory : ApiFactory, IAsyncLifetime
{
    public const long MaxBytes = 3 * 1024 * 1024;

    public string StoreDirectory { get; } = Path.Combine(Path.GetTempPath(), "headless-images-" + Guid.NewGuid().ToString("N")[..10]);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Headless:ObjectStore:Directory", StoreDirectory);
        builder.UseSetting("Headless:Images:MaxBytes", MaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Every file in the store, relative to it.</summary>
    public List<string> StoredFiles() => Directory.Exists(StoreDirectory)
        ? Directory.EnumerateFiles(StoreDirectory, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(StoreDirectory, f)).Order(StringComparer.Ordinal).ToList()
        : [];

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(StoreDirectory))
        {
            Directory.Delete(StoreDirectory, recursive: true);
        }
    }
}

public static class ImageUploads
{
    public static string ImagesUrl(Guid productId) => $"/api/v1/admin/products/{productId}/images";

    /// <summary>POSTs the image as the body, with the product's ETag unless told otherwise.</summary>
    public static Task<HttpResponseMessage> UploadAsync(this HttpClient admin, ProductDetail product, byte[] image, string contentType,
        string? alt = null, string? ifMatch = null, string? idempotencyKey = null)
    {
        var content = new ByteArrayContent(image);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        var request = new HttpRequestMessage(HttpMethod.Post, ImagesUrl(product.Id) + (alt is null ? "" : "?alt=" + Uri.EscapeDataString(alt))) { Content = content };
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch ?? AdminIfMatch.ETag(product.Version));
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }
        return admin.SendAsync(request);
    }

    public static Task<HttpResponseMessage> UploadFormAsync(this HttpClient admin, ProductDetail product, byte[] image, string fileContentType, string alt)
    {
        var file = new ByteArrayContent(image);
        file.Headers.ContentType = new MediaTypeHeaderValue(fileContentType);
        var form = new MultipartFormDataContent { { file, "file", "photo" }, { new StringContent(alt), "alt" } };
        var request = new HttpRequestMessage(HttpMethod.Post, ImagesUrl(product.Id)) { Content = form };
        request.Headers.TryAddWithoutValidation("If-Match", AdminIfMatch.ETag(product.Version));
        return admin.SendAsync(request);
    }
}
