using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Headless.Tests.Webhooks;

/// <summary>One request the gated receiver got.</summary>
public sealed record GatedDelivery(string? WebhookId, string Body, int AnsweredWith);

/// <summary>
/// A webhook receiver on 127.0.0.1 (Kestrel, in the test process) whose answers the test controls exactly:
/// <see cref="Hold"/> keeps every request waiting until <see cref="Release"/>, so a send is provably in
/// flight without timing; <see cref="Status"/> is what it answers. (Signatures are checked by the npm
/// receiver in the other tests; this one is about when and how often deliveries arrive.)
/// </summary>
public sealed class GatedReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private TaskCompletionSource _gate = Open();
    private int _inFlight;

    private GatedReceiver(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}/hook";

    /// <summary>What the next answers are (200 unless set).</summary>
    public int Status { get; set; } = StatusCodes.Status200OK;

    /// <summary>A Retry-After header to answer with (e.g. "3600" with 429), or null.</summary>
    public string? RetryAfter { get; set; }

    /// <summary>Requests answered so far, in the order they were answered.</summary>
    public ConcurrentQueue<GatedDelivery> Answered { get; } = new();

    /// <summary>Requests received and not answered yet.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public static async Task<GatedReceiver> StartAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var receiver = new GatedReceiver(app, port);
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        return receiver;
    }

    /// <summary>From now on, requests wait for <see cref="Release"/>.</summary>
    public void Hold() => Interlocked.Exchange(ref _gate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Answers every held request (with <see cref="Status"/> as it is now) and stops holding.</summary>
    public void Release() => Interlocked.Exchange(ref _gate, Open()).TrySetResult();

    private static TaskCompletionSource Open()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    private async Task HandleAsync(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body);
        var body = await reader.ReadToEndAsync();
        Interlocked.Increment(ref _inFlight);
        try
        {
            await Volatile.Read(ref _gate).Task.WaitAsync(http.RequestAborted);
            var status = Status;
            Answered.Enqueue(new GatedDelivery(http.Request.Headers["webhook-id"].ToString(), body, status));
            http.Response.StatusCode = status;
            if (RetryAfter is { } retryAfter)
            {
                http.Response.Headers.RetryAfter = retryAfter;
            }
            await http.Response.WriteAsync($"gated receiver answered {status}");
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
