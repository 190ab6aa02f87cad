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

    [Fact]
    public async Task Orders_filter_by_customer_total_range_and_placed_dates_and_bad_filters_are_400()
    {
        var admin = api.Admin();
        var email = $"filter-{Guid.NewGuid():N}@example.com";
        var cheap = (await PaidOrderAsync(admin, email, quantity: 1, price: 1000)).Order;
        var dear = (await PaidOrderAsync(admin, email, quantity: 3, price: 1000)).Order;
        Assert.True(dear.Totals.Total.Amount > cheap.Totals.Total.Amount);

        async Task<List<Guid>> Ids(string query) =>
            (await (await admin.GetAsync($"/api/v1/admin/orders?email={Uri.EscapeDataString(email.ToUpperInvariant())}&{query}")).ReadAsync<OrderPage>()).Items.Select(o => o.Id).ToList();

        Assert.Equal([dear.Id, cheap.Id], await Ids("limit=100"));
        Assert.Equal([dear.Id], await Ids($"totalMin={cheap.Totals.Total.Amount + 1}"));
        Assert.Equal([cheap.Id], await Ids($"totalMax={cheap.Totals.Total.Amount}"));
        Assert.Equal([cheap.Id], await Ids($"totalMin={cheap.Totals.Total.Amount}&totalMax={cheap.Totals.Total.Amount}"));
        // The placing time as the list reports it (the database's clock).
        var listed = (await (await admin.GetAsync($"/api/v1/admin/orders?number={dear.Number}")).ReadAsync<OrderPage>()).Items.Single();
        var placed = Uri.EscapeDataString(listed.CreatedAt.ToString("O"));
        Assert.Equal([dear.Id], await Ids($"createdFrom={placed}"));
        Assert.Equal([cheap.Id], await Ids($"createdTo={placed}"));
        Assert.Equal([dear.Id, cheap.Id], await Ids("status=paid"));
        Assert.Empty(await Ids($"customerId={Guid.NewGuid()}"));

        foreach (var bad in new[] { "totalMin=-1", "totalMin=5&totalMax=4", "totalMin=abc", "customerId=nope", "createdFrom=yesterday",
                     "createdFrom=2026-02-01T00:00:00Z&createdTo=2026-01-01T00:00:00Z", "limit=101", "status=lost" })
        {
            await (await admin.GetAsync($"/api/v1/admin/orders?{bad}")).ProblemAsync(HttpStatusCode.BadRequest);
        }
    }

    [Fact]
    public async Task The_timeline_shows_every_step_with_actor_time_carrier_tracking_and_refund_amounts()
    {
        var admin = api.Admin();
        var order = (await PaidOrderAsync(admin, quantity: 2, price: 1500)).Order;
        var url = $"/api/v1/admin/orders/{order.Id}";
        (await admin.OrderActionAsync(url, "shipments", new ShipOrderRequest("UPS", "1Z999AA10123456784"))).EnsureSuccessStatusCode();
        (await admin.OrderActionAsync(url, "refunds", new RefundRequest(700, "dented"), "timeline-r1")).EnsureSuccessStatusCode();

        var timeline = await (await admin.GetAsync(url + "/timeline")).ReadAsync<OrderTimeline>();
        Assert.Equal(order.Number, timeline.Number);
        Assert.Equal(["placed", "payment_started", "paid", "shipped", "refunded"], timeline.Items.Select(e => e.Kind));
        Assert.True(timeline.Items.Zip(timeline.Items.Skip(1)).All(p => p.First.At <= p.Second.At), "oldest first");
        var shipped = timeline.Items.Single(e => e.Kind == "shipped");
        Assert.Equal(("UPS", "1Z999AA10123456784", "paid", "fulfilled"), (shipped.Carrier, shipped.TrackingNumber, shipped.FromStatus, shipped.ToStatus));
        Assert.StartsWith("api-key:", shipped.Actor, StringComparison.Ordinal);
        var refunded = timeline.Items.Single(e => e.Kind == "refunded");
        Assert.Equal(new Contracts.Catalog.Money(700, order.Totals.Total.Currency), refunded.Amount);
        Assert.Equal("partially_refunded", refunded.ToStatus);
        Assert.Equal(order.Totals.Total, timeline.Items.Single(e => e.Kind == "payment_started").Amount);

        await (await admin.GetAsync($"/api/v1/admin/orders/{Guid.NewGuid()}/timeline")).ProblemAsync(HttpStatusCode.NotFound);
    }
}
