using System.Net;
using Headless.Contracts.Commerce;
using Headless.Tests.Commerce;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Admin;

/// <summary>The staff side of orders: If-Match on every action, list filters, the timeline.</summary>
public sealed class AdminOrderTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private async Task<CheckoutResult> PaidOrderAsync(HttpClient admin, string? email = null, int quantity = 1, long price = 1000)
    {
        await Shop.PricingAsync(api);
        var sku = await Shop.SkuAsync(admin, stock: 20, price: price);
        var shopper = api.CreateClient();
        var cart = await Shop.NewCartAsync(shopper, (sku, quantity));
        var checkout = email is null
            ? await Shop.CheckOutAsync(shopper, cart.Token)
            : await (await Shop.CheckoutAsync(shopper, Shop.CheckoutBody(cart.Token, email: email))).ReadAsync<CheckoutResult>(HttpStatusCode.Created);
        (await Shop.PayAsync(shopper, checkout)).EnsureSuccessStatusCode();
        return checkout;
    }

    private Task<long> FingerprintAsync(Guid orderId) => Shop.CountAsync(api, """
        select o.version * 1000000 + (select count(*) from refunds r where r.order_id = o.id) * 1000
               + (select count(*) from order_events e where e.order_id = o.id)
        from orders o where o.id = @orderId
        """, new { orderId });

    [Fact]
    public async Task Ship_cancel_deliver_and_refund_need_the_orders_current_etag()
    {
        var admin = api.Admin();
        var order = (await PaidOrderAsync(admin)).Order;
        var url = $"/api/v1/admin/orders/{order.Id}";
        var etag = await admin.ETagOfAsync(url);
        var before = await FingerprintAsync(order.Id);

        // Missing: 428 for each action, before the body is looked at.
        foreach (var action in new[] { "shipments", "cancellation", "delivery", "refunds" })
        {
            var missing = await admin.SendJsonAsync(HttpMethod.Post, $"{url}/{action}", new { });
            Assert.EndsWith("/if-match-required", (await missing.ProblemAsync(HttpStatusCode.PreconditionRequired))["type"]!.GetValue<string>());
        }

        // Stale: 412 saying to reload, nothing changed.
        var stale = AdminIfMatch.ETag(order.Version - 1);
        Assert.NotEqual(stale, etag);
        var ship = await admin.SendJsonAsync(HttpMethod.Post, $"{url}/shipments", new ShipOrderRequest("DHL", "JD1"), stale);
        Assert.Contains("Reload", (await ship.ProblemAsync(HttpStatusCode.PreconditionFailed))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await (await admin.SendJsonAsync(HttpMethod.Post, $"{url}/cancellation", new CancelOrderRequest("x"), stale)).ProblemAsync(HttpStatusCode.PreconditionFailed);
        var refund = new HttpRequestMessage(HttpMethod.Post, $"{url}/refunds") { Content = System.Net.Http.Json.JsonContent.Create(new RefundRequest(100, null), options: Http.Json) };
        refund.Headers.Add("Idempotency-Key", "stale-1");
        refund.Headers.TryAddWithoutValidation("If-Match", stale);
        await (await admin.SendAsync(refund)).ProblemAsync(HttpStatusCode.PreconditionFailed);
        Assert.Equal(before, await FingerprintAsync(order.Id));

        // Current: done; the answer carries the new version, and the old ETag is now stale.
        var shipped = await (await admin.SendJsonAsync(HttpMethod.Post, $"{url}/shipments", new ShipOrderRequest("DHL", "JD1"), etag)).ReadAsync<Order>();
        Assert.Equal("fulfilled", shipped.Status);
        await (await admin.PostWithIfMatchAsync($"{url}/delivery", etag)).ProblemAsync(HttpStatusCode.PreconditionFailed);
        Assert.Equal("delivered", (await (await admin.PostWithIfMatchAsync($"{url}/delivery", AdminIfMatch.ETag(shipped.Version))).ReadAsync<Order>()).Status);
        await (await admin.PostWithIfMatchAsync($"/api/v1/admin/orders/{Guid.NewGuid()}/delivery", etag)).ProblemAsync(HttpStatusCode.NotFound);
    }
}
