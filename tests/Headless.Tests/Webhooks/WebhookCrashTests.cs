using Headless.Tests.Email;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Webhooks;

/// <summary>A sender that stops mid-delivery (its process disposed while the receiver holds the request) loses
/// nothing: another instance sends the delivery again, with the same webhook-id.</summary>
public sealed class WebhookCrashTests(ApiFactory db) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Killing_the_sender_mid_delivery_loses_nothing_and_the_duplicate_keeps_its_webhook_id()
    {
        await using var receiver = await WebhookReceiver.StartAsync(26708);
        Guid endpointId;
        string secret;
        await using (var first = new WebhookHost(db))
        {
            var created = await first.Admin().CreateWebhookEndpointAsync(receiver.Url, "order.paid");
            (endpointId, secret) = (created.Endpoint.Id, created.Secret);
            await receiver.SetAsync([secret], hangMs: 60_000);
            await db.Db.EmitAsync("order.paid", "order", Guid.NewGuid().ToString());
            await receiver.WaitForAsync(1);
        }
        // The first process is gone with the delivery in flight: nothing was recorded for it.
        Assert.Equal("pending", await db.Db.ScalarAsync<string>("select status from webhook_deliveries where endpoint_id = @endpointId", new { endpointId }));

        await receiver.SetAsync([secret]);
        await using var second = new WebhookHost(db);
        _ = second.Admin();
        // The lease of the dead sender ends (driven, not waited for).
        await db.Db.MakeDueAsync(endpointId);
        var received = await receiver.WaitForAsync(2);
        Assert.Equal(received[0].Id, received[1].Id);
        Assert.All(received, r => Assert.True(r.Verified[secret]));
        await Eventually.WaitUntilAsync(async () => await db.Db.ScalarAsync<string>("select status from webhook_deliveries where endpoint_id = @endpointId", new { endpointId }) == "succeeded",
            WebhookTestKit.Within, "the delivery is recorded as succeeded");
    }
}
