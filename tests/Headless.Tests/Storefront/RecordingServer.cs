using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Headless.Tests.Storefront;

/// <summary>One HTTP request as the recording server received it.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, Dictionary<string, string> Headers, byte[] Body);

/// <summary>
/// A real HTTP server on 127.0.0.1 (Kestrel) standing in for CloudFront's API endpoint: it records every
/// request and answers 201 with an Invalidation document shaped like CloudFront's.
/// </summary>
public sealed class RecordingServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RecordingServer(WebApplication app) => _app = app;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public string Url => _app.Urls.First();

    public static async Task<RecordingServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new RecordingServer(app);
        var count = 0;
        app.Run(async http =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            server.Requests.Enqueue(new RecordedRequest(http.Request.Method, http.Request.Path.Value ?? "", http.Request.QueryString.Value ?? "",
                http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body.ToArray()));
            var id = $"I{Interlocked.Increment(ref count)}EXAMPLE";
            http.Response.StatusCode = StatusCodes.Status201Created;
            http.Response.ContentType = "text/xml";
            http.Response.Headers.Location = $"{server.Url}{http.Request.Path}/{id}";
            await http.Response.WriteAsync($"""
                <?xml version="1.0" encoding="UTF-8"?>
                <Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>{id}</Id><Status>InProgress</Status><CreateTime>2026-01-01T00:00:00Z</CreateTime></Invalidation>
                """.Trim());
        });
        await app.StartAsync();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
