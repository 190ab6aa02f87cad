using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Headless.Api.Platform.Hosting;
using Headless.Contracts.Admin;
using Headless.Tests.Email;
using Headless.Tests.Infrastructure;
using Headless.Tests.Webhooks;
using StandardWebhooks;

namespace Headless.Tests.Samples;

/// <summary>samples/webhook-receiver-node/server.mjs started as its README says (node, secret and port from the
/// environment), its JSON log lines collected; killed on dispose.</summary>
public sealed class NodeReceiverSample : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<JsonElement> _lines = new();
    private readonly StringBuilder _stderr = new();

    public NodeReceiverSample(int port, string secret)
    {
        var start = new ProcessStartInfo("node", "samples/webhook-receiver-node/server.mjs")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
        start.Environment["WEBHOOK_SECRET"] = secret;
        _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node.");
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && line.StartsWith('{'))
            {
                _lines.Enqueue(JsonDocument.Parse(line).RootElement.Clone());
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr)
            {
                _stderr.AppendLine(e.Data);
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Url = $"http://127.0.0.1:{port}/webhooks/headless";
    }

    public string Url { get; }

    public IReadOnlyList<JsonElement> Log => [.. _lines];

    public IEnumerable<JsonElement> Logged(string msg) => Log.Where(l => l.GetProperty("msg").GetString() == msg);

    public async Task StartedAsync()
    {
        await Eventually.WaitUntilAsync(() => Logged("listening").Any() || _process.HasExited, TimeSpan.FromSeconds(20), "the sample receiver listens");
        if (_process.HasExited)
        {
            lock (_stderr)
            {
                throw new InvalidOperationException($"The sample receiver exited: {_stderr} (is node_modules installed? `npm ci` at the root)");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }
}

/// <summary>samples/webhook-receiver-node receiving real deliveries from an endpoint made through the admin API.</summary>
public sealed class WebhookReceiverSampleTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private const int Port = 26521;

    [Fact]
    public async Task The_node_sample_accepts_real_signed_deliveries_and_refuses_a_tampered_one()
    {
        var admin = api.Admin();
        var created = await admin.CreateWebhookEndpointAsync($"http://127.0.0.1:{Port}/webhooks/headless", "product.created");
        await using var receiver = new NodeReceiverSample(Port, created.Secret);
        await receiver.StartedAsync();

        var product = await admin.CreateProductAsync(CatalogSeed.Product());

        await Eventually.WaitUntilAsync(() => receiver.Logged("accepted").Any(), WebhookTestKit.Within,
            "the sample accepted the product.created delivery");
        var accepted = Assert.Single(receiver.Logged("accepted"));
        Assert.Equal("product.created", accepted.GetProperty("type").GetString());
        Assert.StartsWith("evt_", accepted.GetProperty("eventId").GetString());
        // Ids and type only: the payload (the product's id) is not logged.
        Assert.DoesNotContain(receiver.Log, l => l.GetRawText().Contains(product.Id.ToString(), StringComparison.Ordinal));

        WebhookDelivery delivery = null!;
        await Eventually.WaitUntilAsync(async () =>
        {
            var page = await (await admin.GetAsync($"/api/v1/admin/webhook-endpoints/{created.Endpoint.Id}/deliveries?status=succeeded")).ReadAsync<WebhookDeliveryPage>();
            delivery = page.Items.SingleOrDefault()!;
            return delivery is not null;
        }, WebhookTestKit.Within, "the delivery is logged as succeeded");
        Assert.Equal(delivery.Id.ToString(), accepted.GetProperty("webhookId").GetString());
        Assert.Equal(204, delivery.AttemptLog.Single().StatusCode);

        // The same delivery sent again by hand: signed right it is accepted (as a duplicate: same webhook-id);
        // with its body altered, or signed with another secret, it is refused.
        using var http = new HttpClient();
        async Task<HttpStatusCode> SendAsync(string body, string signingSecret, string signedBody)
        {
            var timestamp = DateTimeOffset.UtcNow;
            using var request = new HttpRequestMessage(HttpMethod.Post, receiver.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("webhook-id", delivery.Id.ToString());
            request.Headers.Add("webhook-timestamp", timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
            request.Headers.Add("webhook-signature", new StandardWebhook(signingSecret).Sign(delivery.Id.ToString(), timestamp, signedBody));
            return (await http.SendAsync(request)).StatusCode;
        }
        Assert.Equal(HttpStatusCode.NoContent, await SendAsync(delivery.Payload, created.Secret, delivery.Payload));
        var tampered = delivery.Payload.Replace("product.created", "product.archived", StringComparison.Ordinal);
        Assert.NotEqual(delivery.Payload, tampered);
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(tampered, created.Secret, delivery.Payload));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(delivery.Payload, "whsec_" + Convert.ToBase64String(new byte[32]), delivery.Payload));
        using (var unsigned = new HttpRequestMessage(HttpMethod.Post, receiver.Url) { Content = new StringContent(delivery.Payload, Encoding.UTF8, "application/json") })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(unsigned)).StatusCode);
        }

        await Eventually.WaitUntilAsync(() => receiver.Logged("rejected").Count() == 3, WebhookTestKit.Within, "three rejections logged");
        Assert.Single(receiver.Logged("duplicate"));
        Assert.Equal(2, receiver.Logged("rejected").Count(r => r.GetProperty("webhookId").GetString() == delivery.Id.ToString()));
    }

    [Fact]
    public async Task Without_a_secret_the_sample_refuses_to_start_and_says_what_to_set()
    {
        var start = new ProcessStartInfo("node", "samples/webhook-receiver-node/server.mjs")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment.Remove("WEBHOOK_SECRET");
        start.Environment["PORT"] = "26522";
        using var node = Process.Start(start)!;
        var errors = await node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(2, node.ExitCode);
        Assert.Contains("Set WEBHOOK_SECRET", errors);
    }
}
