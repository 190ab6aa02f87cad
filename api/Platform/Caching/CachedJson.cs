using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Net.Http.Headers;

namespace Headless.Api.Platform.Caching;

/// <summary>A response body serialised once and served many times, with a strong ETag from its content.</summary>
public sealed class CachedBody(byte[] utf8Json)
{
    public byte[] Utf8Json { get; } = utf8Json;
    public string ETag { get; } = "\"" + Convert.ToHexString(SHA256.HashData(utf8Json).AsSpan(0, 12)).ToLowerInvariant() + "\"";
}

/// <summary>Writes a cached JSON body of <typeparamref name="T"/> with ETag and Cache-Control, or 304
/// when the caller's If-None-Match already names it. Declares 200 + T for the OpenAPI document.</summary>
public sealed class CachedJson<T>(CachedBody body, string cacheControl) : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult
{
    public int? StatusCode => StatusCodes.Status200OK;

    public Task ExecuteAsync(HttpContext http)
    {
        var headers = http.Response.Headers;
        headers.ETag = body.ETag;
        headers.CacheControl = cacheControl;
        headers.Vary = "Accept-Encoding";
        if (Matches(http.Request.Headers.IfNoneMatch, body.ETag))
        {
            http.Response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/json; charset=utf-8";
        http.Response.ContentLength = body.Utf8Json.Length;
        return http.Response.Body.WriteAsync(body.Utf8Json, http.RequestAborted).AsTask();
    }

    private static bool Matches(Microsoft.Extensions.Primitives.StringValues ifNoneMatch, string etag)
    {
        if (ifNoneMatch.Count == 0)
        {
            return false;
        }
        if (!EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags))
        {
            return false;
        }
        var ours = EntityTagHeaderValue.Parse(etag);
        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(ours, useStrongComparison: false));
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(T), ["application/json"]));
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status304NotModified));
    }
}

public static class CacheControl
{
    /// <summary>Product pages show live stock: a CDN may serve a copy for a few seconds, then revalidates (cheap 304s).</summary>
    public const string Product = "public, max-age=5, stale-while-revalidate=30";
    public const string Listing = "public, max-age=10, stale-while-revalidate=30";
    public const string Categories = "public, max-age=60, stale-while-revalidate=300";
    public const string Feed = "public, max-age=1";
}
