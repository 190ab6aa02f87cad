using System.Net.Http.Json;

namespace Headless.Tests.Infrastructure;

/// <summary>Admin updates need If-Match: these read the resource's ETag first, the way a client does.</summary>
public static class AdminIfMatch
{
    public static string ETag(int version) => $"\"v{version}\"";

    public static async Task<string> ETagOfAsync(this HttpClient admin, string url)
    {
        var response = await admin.GetAsync(url);
        response.EnsureSuccessStatusCode();
        return response.Headers.ETag?.ToString() ?? throw new InvalidOperationException($"GET {url} has no ETag.");
    }

    public static Task<HttpResponseMessage> PostWithIfMatchAsync(this HttpClient admin, string url, string ifMatch)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url);
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return admin.SendAsync(request);
    }

    public static Task<HttpResponseMessage> DeleteWithIfMatchAsync(this HttpClient admin, string url, string ifMatch)
    {
        var request = new HttpRequestMessage(HttpMethod.Delete, url);
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return admin.SendAsync(request);
    }

    /// <summary>Archives a product at its current version.</summary>
    public static async Task<HttpResponseMessage> ArchiveProductAsync(this HttpClient admin, Guid id) =>
        await admin.PostWithIfMatchAsync($"/api/v1/admin/products/{id}/archive", await admin.ETagOfAsync($"/api/v1/admin/products/{id}"));

    /// <summary>Sets a SKU's on-hand count at its current stock version.</summary>
    public static async Task<HttpResponseMessage> SetStockAsync(this HttpClient admin, string sku, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/admin/inventory/{sku}") { Content = JsonContent.Create(body, options: Http.Json) };
        request.Headers.TryAddWithoutValidation("If-Match", await admin.ETagOfAsync($"/api/v1/admin/inventory/{sku}"));
        return await admin.SendAsync(request);
    }

    /// <summary>Posts an order action (shipments, cancellation, delivery, refunds) with the order's current ETag,
    /// read from the admin order GET first, the way the dashboard does.</summary>
    public static async Task<HttpResponseMessage> OrderActionAsync(this HttpClient admin, Guid orderId, string action, object? body = null, string? idempotencyKey = null) =>
        await admin.OrderActionAsync($"/api/v1/admin/orders/{orderId}", action, body, idempotencyKey);

    public static async Task<HttpResponseMessage> OrderActionAsync(this HttpClient admin, string orderUrl, string action, object? body = null, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"{orderUrl}/{action}")
        {
            Content = body switch { null => null, HttpContent content => content, _ => JsonContent.Create(body, options: Http.Json) },
        };
        request.Headers.TryAddWithoutValidation("If-Match", await admin.ETagOfAsync(orderUrl));
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        return await admin.SendAsync(request);
    }
}
