using System.Net;
using System.Net.Http.Json;
using Dapper;
using Headless.Api.Features.Webhooks;
using Headless.Contracts.Admin;
using Headless.Tests.Email;
using Headless.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Headless.Tests.Webhooks;

/// <summary>SSRF: with production rules (no http, no loopback) a private address is refused when the endpoint is
/// saved and, for a name that resolves to one, when the sender connects.</summary>
public sealed class WebhookSsrfTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("10.1.2.3", true)]
    [InlineData("172.16.0.1", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("192.168.1.1", true)]
    [InlineData("169.254.169.254", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("100.128.0.1", false)]
    [InlineData("0.0.0.0", true)]
    [InlineData("224.0.0.1", true)]
    [InlineData("::1", true)]
    [InlineData("::", true)]
    [InlineData("fd00:ec2::254", true)]
    [InlineData("fe80::1", true)]
    [InlineData("::ffff:10.0.0.1", true)]
    [InlineData("64:ff9b::a00:1", true)]
    [InlineData("93.184.216.34", false)]
    [InlineData("2606:2800:220:1:248:1893:25c8:1946", false)]
    public void Private_loopback_link_local_metadata_cgnat_and_ula_addresses_are_forbidden(string address, bool forbidden) =>
        Assert.Equal(forbidden, WebhookAddressRules.IsForbidden(IPAddress.Parse(address), allowLocal: false));

    [Fact]
    public void Development_allows_loopback_but_still_not_the_private_network() =>
        Assert.Equal([false, false, true, true], new[] { "127.0.0.1", "::1", "10.0.0.1", "169.254.169.254" }
            .Select(a => WebhookAddressRules.IsForbidden(IPAddress.Parse(a), allowLocal: true)));

    [Theory]
    [InlineData("http://hooks.example.com/in")]
    [InlineData("https://127.0.0.1:26710/hook")]
    [InlineData("https://localhost:26710/hook")]
    [InlineData("https://169.254.169.254/latest/meta-data")]
    [InlineData("https://10.0.0.7/hook")]
    [InlineData("https://[fd00::1]/hook")]
    [InlineData("https://user:pass@hooks.example.com/in")]
    [InlineData("ftp://hooks.example.com/in")]
    [InlineData("not a url")]
    public async Task With_production_rules_a_private_or_plain_http_url_is_refused_at_create(string url)
    {
        await using var host = new WebhookHost(api, ("Headless:Webhooks:AllowLocalReceivers", "false"));
        var response = await host.Admin().PostAsJsonAsync("/api/v1/admin/webhook-endpoints",
            new CreateWebhookEndpointRequest(url, null, ["order.paid"], true), Http.Json);
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["url"]);
        Assert.Equal(0, await api.Db.ScalarAsync<int>("select count(*)::int from webhook_endpoints where url = @url", new { url }));
    }

    [Fact]
    public async Task A_name_resolving_to_loopback_is_refused_at_connect_time_by_a_production_configured_sender()
    {
        await using var receiver = await WebhookReceiver.StartAsync(26711);
        await using var host = new WebhookHost(api, ("Headless:Webhooks:AllowLocalReceivers", "false"));
        _ = host.Admin();
        // Saved as if its name had resolved to a public address then (DNS rebinding): only the connect-time check stands.
        var secrets = host.Services.GetRequiredService<WebhookSecrets>();
        var id = Guid.CreateVersion7();
        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("""
                insert into webhook_endpoints (id, url, event_types, secret) values (@id, @url, array['order.paid'], @secret)
                """, new { id, url = $"https://localhost:{receiver.Port}/hook", secret = secrets.Protect(WebhookSecrets.New()) });
        }
        await api.Db.EmitAsync("order.paid", "order", Guid.NewGuid().ToString());

        const string Error = "select a.error from webhook_attempts a join webhook_deliveries d on d.id = a.delivery_id where d.endpoint_id = @id";
        await Eventually.WaitUntilAsync(async () => await api.Db.ScalarAsync<string?>(Error, new { id }) is not null, WebhookTestKit.Within, "the attempt is logged");
        Assert.StartsWith("address-refused:", await api.Db.ScalarAsync<string>(Error, new { id }));
        Assert.Empty(receiver.Received());
    }
}
