using System.Net;
using Headless.Contracts.Admin;
using Headless.Tests.Email;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Headless.Tests.Webhooks;

/// <summary>A manual retry that lands while a send of the same delivery is in flight must not be swallowed by
/// that send's completion. One sending slot makes the interleaving certain: the held send occupies it, so the
/// retried delivery cannot be claimed again until that send has completed and recorded its outcome.</summary>
public sealed class WebhookRetryRaceTests(WebhookRetryRaceTests.OneSlotApi api) : IClassFixture<WebhookRetryRaceTests.OneSlotApi>
{
    public sealed class OneSlotApi : ApiFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Headless:Webhooks:Concurrency", "1");
            // The held send must outlast the test's steps on a busy machine, never time out on its own.
            builder.UseSetting("Headless:Webhooks:Timeout", "00:05:00");
        }
    }

    [Fact]
    public async Task A_retry_during_an_in_flight_send_is_sent_after_it_with_the_same_webhook_id()
    {
        await using var receiver = await GatedReceiver.StartAsync(26401);
        var admin = api.Admin();
        var created = await admin.CreateWebhookEndpointAsync(receiver.Url, "order.paid");
        var url = $"/api/v1/admin/webhook-endpoints/{created.Endpoint.Id}";
        receiver.Hold();
        await api.Db.EmitAsync("order.paid", "order", Guid.NewGuid().ToString());
        await Eventually.WaitUntilAsync(() => receiver.InFlight == 1, WebhookTestKit.Within, "the first send is in flight");
        var delivery = Assert.Single((await (await admin.GetAsync($"{url}/deliveries")).ReadAsync<WebhookDeliveryPage>()).Items);

        var retry = await admin.PostAsync($"{url}/deliveries/{delivery.Id}/retry", null);
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        receiver.Release();

        // The in-flight send succeeds, and the retry asked after it started still goes out: at least once more.
        await Eventually.WaitUntilAsync(() => receiver.Answered.Count >= 2, WebhookTestKit.Within,
            "the retry was sent after the in-flight send");
        await Eventually.WaitUntilAsync(async () =>
            (await (await admin.GetAsync($"{url}/deliveries")).ReadAsync<WebhookDeliveryPage>()).Items.Single() is { Status: "succeeded", AttemptLog.Count: 2 },
            WebhookTestKit.Within, "the log shows two successful attempts");
        var final = (await (await admin.GetAsync($"{url}/deliveries")).ReadAsync<WebhookDeliveryPage>()).Items.Single();
        Assert.Equal(2, final.Attempts);
        Assert.All(final.AttemptLog, a => Assert.Equal(200, a.StatusCode));
        Assert.All(receiver.Answered, r => Assert.Equal(delivery.Id.ToString(), r.WebhookId));
        // Not duplicated beyond that: nothing else is pending or in flight for it.
        Assert.Equal(2, receiver.Answered.Count);
        Assert.Equal(0, await api.Db.ScalarAsync<int>("select count(*)::int from webhook_deliveries where status = 'pending'"));
    }
}
