using Headless.Tests.Email;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Headless.Tests.Webhooks;

/// <summary>Sends are bounded per endpoint as well as overall: a receiver that holds every request gets at most
/// <c>PerEndpointConcurrency</c> of them, while another endpoint's deliveries still go out.</summary>
public sealed class WebhookConcurrencyTests(WebhookConcurrencyTests.TwoPerEndpointApi api) : IClassFixture<WebhookConcurrencyTests.TwoPerEndpointApi>
{
    public sealed class TwoPerEndpointApi : ApiFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Headless:Webhooks:PerEndpointConcurrency", "2");
            // Held sends must never time out on their own while the test looks at them.
            builder.UseSetting("Headless:Webhooks:Timeout", "00:05:00");
        }
    }

    [Fact]
    public async Task An_endpoint_gets_at_most_its_bound_in_flight_and_the_others_are_not_held_back()
    {
        await using var slow = await GatedReceiver.StartAsync(27422);
        await using var other = await GatedReceiver.StartAsync(27423);
        var admin = api.Admin();
        var held = (await admin.CreateWebhookEndpointAsync(slow.Url, "order.paid")).Endpoint.Id;
        await admin.CreateWebhookEndpointAsync(other.Url, "order.refunded");
        slow.Hold();
        other.Hold();
        for (var i = 0; i < 5; i++)
        {
            await api.Db.EmitAsync("order.paid", "order", Guid.NewGuid().ToString());
        }
        await Eventually.WaitUntilAsync(() => slow.InFlight == 2, WebhookTestKit.Within, "two sends to the held endpoint are in flight");
        for (var i = 0; i < 2; i++)
        {
            await api.Db.EmitAsync("order.refunded", "order", Guid.NewGuid().ToString());
        }
        // Claimed after the held endpoint was full: every claim since then left it out (or handed its extras back).
        await Eventually.WaitUntilAsync(() => other.InFlight == 2, WebhookTestKit.Within, "the other endpoint's two sends are in flight");
        Assert.Equal(2, slow.InFlight);
        Assert.Equal(2, await api.Db.ScalarAsync<int>("select count(*)::int from webhook_deliveries where endpoint_id = @held and lease is not null", new { held }));
        Assert.Equal(2, await api.Db.ScalarAsync<int>("select sum(attempts)::int from webhook_deliveries where endpoint_id = @held", new { held }));

        slow.Release();
        other.Release();
        await Eventually.WaitUntilAsync(() => slow.Answered.Count == 5 && other.Answered.Count == 2, WebhookTestKit.Within, "everything arrived");
        Assert.Equal(5, slow.Answered.Select(a => a.WebhookId).Distinct().Count());
        await Eventually.WaitUntilAsync(async () => await api.Db.ScalarAsync<int>("select count(*)::int from webhook_deliveries where status = 'succeeded'") == 7,
            WebhookTestKit.Within, "all seven are recorded as succeeded");
    }
}
