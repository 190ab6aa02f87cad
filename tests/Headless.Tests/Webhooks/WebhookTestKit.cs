using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Headless.Contracts.Admin;
using Headless.Tests.Email;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Npgsql;

namespace Headless.Tests.Webhooks;

/// <summary>One request the receiver got, with the npm `standardwebhooks` verdict for each secret it knew.</summary>
public sealed record ReceivedWebhook(string? Id, string? Timestamp, string? Signature, string? ContentType, string Body, Dictionary<string, bool> Verified, int Status)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
    public string Type => Json.GetProperty("type").GetString()!;
    public string ResourceId => Json.GetProperty("data").GetProperty("id").GetString()!;
    public string EventId => Json.GetProperty("id").GetString()!;
}

/// <summary>tests/tools/webhook-receiver.mjs on 127.0.0.1 at a port of this session's range (26700-26799).</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly NodeTool _tool;
    private readonly HttpClient _control = new();

    private WebhookReceiver(NodeTool tool, int port, string file)
    {
        _tool = tool;
        Port = port;
        File = file;
    }

    public int Port { get; }
    public string File { get; }
    public string Url => $"http://127.0.0.1:{Port}/hook";

    /// <summary>Starts (or restarts, appending to the same file) a receiver on the port.</summary>
    public static async Task<WebhookReceiver> StartAsync(int port, string? file = null)
    {
        file ??= Path.Combine(Path.GetTempPath(), $"webhooks-{Guid.NewGuid():N}.jsonl");
        var tool = await NodeTool.StartAsync("tests/tools/webhook-receiver.mjs", port.ToString(System.Globalization.CultureInfo.InvariantCulture), file);
        return new WebhookReceiver(tool, port, file);
    }

    public async Task SetAsync(IEnumerable<string> secrets, int status = 200, string? retryAfter = null, int hangMs = 0)
    {
        var response = await _control.PutAsJsonAsync($"http://127.0.0.1:{Port}/_control", new { secrets, status, retryAfter, hangMs });
        response.EnsureSuccessStatusCode();
    }

    public static List<ReceivedWebhook> Read(string file) =>
        System.IO.File.Exists(file)
            ? System.IO.File.ReadAllLines(file).Where(l => l.StartsWith('{')).Select(l => JsonSerializer.Deserialize<ReceivedWebhook>(l, Http.Json)!).ToList()
            : [];

    public List<ReceivedWebhook> Received() => Read(File);

    public async Task<List<ReceivedWebhook>> WaitForAsync(int count, TimeSpan? within = null)
    {
        await Eventually.WaitUntilAsync(() => Received().Count >= count, within ?? TimeSpan.FromSeconds(20),
            $"the receiver got {count} deliveries (got {Received().Count}; receiver errors: {_tool.Errors})");
        return Received();
    }

    public async ValueTask DisposeAsync()
    {
        _control.Dispose();
        await _tool.DisposeAsync();
    }
}

/// <summary>Another API process on a test class's database, with its own settings (a second instance,
/// or a production-configured sender).</summary>
public sealed class WebhookHost(ApiFactory db, params (string Key, string Value)[] settings) : Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Headless:Database:ConnectionString", db.ConnectionString);
        builder.UseSetting("Headless:Database:MigrationConnectionString", db.OwnerConnectionString);
        builder.UseSetting("Headless:Catalog:LoadDemoCatalog", "false");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public HttpClient Admin()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", db.AdminKey);
        return client;
    }
}

public static class WebhookTestKit
{
    public static readonly TimeSpan Within = TimeSpan.FromSeconds(20);

    public static async Task<CreatedWebhookEndpoint> CreateWebhookEndpointAsync(this HttpClient admin, string url, params string[] types)
    {
        var response = await admin.PostAsJsonAsync("/api/v1/admin/webhook-endpoints",
            new CreateWebhookEndpointRequest(url, "test receiver", types.Length == 0 ? WebhookEventTypes.All : types, true), Http.Json);
        return await response.ReadAsync<CreatedWebhookEndpoint>(System.Net.HttpStatusCode.Created);
    }

    /// <summary>An outbox event as the domain writes it (the transport webhooks read from).</summary>
    public static async Task<long> EmitAsync(this NpgsqlDataSource db, string topic, string aggregateType, string aggregateId)
    {
        await using var conn = await db.OpenConnectionAsync();
        return await conn.ExecuteScalarAsync<long>("""
            insert into outbox (topic, aggregate_type, aggregate_id, payload) values (@topic, @aggregateType, @aggregateId, '{}') returning id
            """, new { topic, aggregateType, aggregateId });
    }

    /// <summary>Drives time instead of waiting for it: every pending delivery of the endpoint is due now.</summary>
    public static async Task MakeDueAsync(this NpgsqlDataSource db, Guid endpointId)
    {
        await using var conn = await db.OpenConnectionAsync();
        await conn.ExecuteAsync("update webhook_deliveries set next_attempt_at = now() where endpoint_id = @endpointId and status = 'pending'", new { endpointId });
    }

    public static async Task<T> ScalarAsync<T>(this NpgsqlDataSource db, string sql, object? args = null)
    {
        await using var conn = await db.OpenConnectionAsync();
        return (await conn.ExecuteScalarAsync<T>(sql, args))!;
    }
}
