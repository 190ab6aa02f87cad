using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.Runtime.Signing;

namespace Headless.Api.Features.Search.OpenSearch;

/// <summary>A failed OpenSearch call: status and OpenSearch's own error type and reason, never the body.</summary>
public sealed class OpenSearchException(HttpStatusCode status, string? type, string? reason, string path)
    : Exception($"OpenSearch answered {(int)status} to {path}: {type ?? "error"}{(reason is null ? "" : ": " + reason)}")
{
    public HttpStatusCode Status { get; } = status;
    public string? ErrorType { get; } = type;
}

/// <summary>
/// A thin typed client over OpenSearch's REST API (HttpClient + System.Text.Json): JSON and NDJSON
/// bodies in, parsed JSON out. Amazon OpenSearch Service requests are SigV4-signed (service `es`) by
/// <see cref="SigV4Handler"/>; otherwise basic auth when a username is configured.
/// </summary>
public sealed class OpenSearchClient(HttpClient http, ILogger<OpenSearchClient> log)
{
    public static OpenSearchClient Create(OpenSearchOptions options, ILogger<OpenSearchClient> log) =>
        CreateWith(options, new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }, log);

    /// <summary>The client over a given transport (tests pass a recording handler).</summary>
    public static OpenSearchClient CreateWith(OpenSearchOptions options, HttpMessageHandler transport, ILogger<OpenSearchClient> log)
    {
        var baseUri = new Uri(options.Url!.TrimEnd('/') + "/");
        var handler = transport;
        if (!string.IsNullOrEmpty(options.Region))
        {
            handler = new SigV4Handler(RegionEndpoint.GetBySystemName(options.Region), "es",
                () => new DefaultAWSCredentialsIdentityResolver().ResolveIdentity(null), handler);
        }
        var http = new HttpClient(handler) { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(30) };
        if (string.IsNullOrEmpty(options.Region) && !string.IsNullOrEmpty(options.Username))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.Username}:{options.Password}")));
        }
        return new OpenSearchClient(http, log);
    }

    public Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct) =>
        SendAsync(method, path, body is null ? null : new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), ct);

    public Task<JsonNode?> SendNdjsonAsync(string path, string ndjson, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, path, new StringContent(ndjson, Encoding.UTF8, "application/x-ndjson"), ct);

    /// <summary>True when the path exists (HEAD 200), false on 404.</summary>
    public async Task<bool> ExistsAsync(string path, CancellationToken ct)
    {
        using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, path), ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        if (!response.IsSuccessStatusCode)
        {
            throw new OpenSearchException(response.StatusCode, null, null, path);
        }
        return true;
    }

    private async Task<JsonNode?> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            var error = OpenSearchResponses.Error(text);
            log.LogWarning("OpenSearch {Method} {Path} failed: {Status} {ErrorType}", method, path, (int)response.StatusCode, error.Type);
            throw new OpenSearchException(response.StatusCode, error.Type, error.Reason, path);
        }
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }
}

/// <summary>Signs each request with AWS Signature Version 4 (AWSSDK.Core's <see cref="AWSSigV4Signer"/>),
/// payload hash included, with credentials resolved per request (they rotate).</summary>
public sealed class SigV4Handler(RegionEndpoint region, string service, Func<AWSCredentials> credentials, HttpMessageHandler inner)
    : DelegatingHandler(inner)
{
    public static IDictionary<string, string> SignedHeaders(HttpRequestMessage request, byte[] body, RegionEndpoint region, string service,
        AWSCredentials credentials, DateTime? at = null)
    {
        var signing = new AWSSigningRequest { HttpMethod = request.Method, RequestUri = request.RequestUri!, Content = body };
        if (request.Content?.Headers.ContentType is { } type)
        {
            signing.Headers["Content-Type"] = type.ToString();
        }
        var result = AWSSigV4Signer.Sign(signing, new AWSSigV4Parameters
        {
            Credentials = credentials,
            Region = region,
            Service = service,
            SignPayload = true,
            SignedAt = at,
        });
        return result.Headers;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(ct);
        foreach (var (name, value) in SignedHeaders(request, body, region, service, credentials()))
        {
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase) || name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            request.Headers.Remove(name);
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return await base.SendAsync(request, ct);
    }
}
