using System.Net;
using Headless.Contracts.Commerce;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Commerce;

/// <summary>An order's life with the built-in test payment provider: pay, ship, deliver, refund, cancel.</summary>
public sealed class OrderFlowTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task A_paid_order_commits_its_stock_once_and_queues_one_confirmation_email()
    {
        await Shop.PricingAsync(factory);
        var sku = await Shop.SkuAsync(factory.Admin(), stock: 8, price: 2500);
        var shopper = factory.CreateClient();
        var checkout = await Shop.CheckOutAsync(shopper, (await Shop.NewCartAsync(shopper, (sku, 2))).Token);
        Assert.Equal("test", checkout.Payment.Provider);
        Assert.True(checkout.Payment.TestMode);
        Assert.Equal(checkout.Order.Totals.Total, checkout.Payment.Amount);
        Assert.Equal("pending_payment", checkout.Order.Status);
        Assert.Equal((8, 2), await Shop.StockAsync(factory, sku));

        var declined = await (await Shop.PayAsync(shopper, checkout, "4000 0000 0000 0002")).ProblemAsync(HttpStatusCode.PaymentRequired);
        Assert.EndsWith("/card-declined", declined["type"]!.GetValue<string>());
        Assert.Equal((8, 2), await Shop.StockAsync(factory, sku));

        var paid = await (await Shop.PayAsync(shopper, checkout)).ReadAsync<Order>();
        Assert.Equal("paid", paid.Status);
        Assert.Equal("committed", paid.Reservation);
        Assert.Contains(paid.History, e => e.Note.Contains("declined", StringComparison.Ordinal));
        Assert.Equal((6, 0), await Shop.StockAsync(factory, sku));

        // The browser's return after the payment changes nothing more.
        var confirm = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/orders/{checkout.Order.Id}/payment-confirmation");
        confirm.Headers.Add("X-Order-Token", checkout.OrderToken);
        Assert.Equal("paid", (await (await shopper.SendAsync(confirm)).ReadAsync<Order>()).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await Shop.PayAsync(shopper, checkout)).StatusCode);
        Assert.Equal((6, 0), await Shop.StockAsync(factory, sku));
        Assert.Equal(1, await Shop.CountAsync(factory, "select count(*) from outbox where topic = 'order.paid' and aggregate_id = @id", new { id = checkout.Order.Id.ToString() }));
        // The mail is queued in the payment's transaction (its content is in the shopper's vault, not in the payload).
        Assert.Equal(1, await Shop.CountAsync(factory, """
            select count(*) from outbox e join outbox p on p.txid = e.txid
            where p.topic = 'order.paid' and p.aggregate_id = @id and e.topic = 'email.requested' and e.payload->>'template' = 'order-confirmation'
            """, new { id = checkout.Order.Id.ToString() }));
        Assert.Equal(2, await Shop.CountAsync(factory, "select -sum(delta) from stock_movements where sku = @sku and reason like 'order %'", new { sku }));
    }

    [Fact]
    public async Task Staff_ship_deliver_and_refund_a_paid_order_and_the_shopper_is_told()
    {
        await Shop.PricingAsync(factory);
        var admin = factory.Admin();
        var sku = await Shop.SkuAsync(admin, stock: 4, price: 1000);
        var shopper = factory.CreateClient();
        var checkout = await Shop.CheckOutAsync(shopper, (await Shop.NewCartAsync(shopper, (sku, 1))).Token);
        var orderUrl = $"/api/v1/admin/orders/{checkout.Order.Id}";

        Assert.Equal(HttpStatusCode.Conflict, (await admin.OrderActionAsync(orderUrl, "shipments", new ShipOrderRequest("DHL", "JD0001"))).StatusCode);
        (await Shop.PayAsync(shopper, checkout)).EnsureSuccessStatusCode();

        var shipped = await (await admin.OrderActionAsync(orderUrl, "shipments", new ShipOrderRequest("DHL", "JD014600006281230701"))).ReadAsync<Order>();
        Assert.Equal("fulfilled", shipped.Status);
        Assert.Equal(new Shipment("DHL", "JD014600006281230701"), shipped.Shipment);
        Assert.Equal(1, await Shop.CountAsync(factory, """
            select count(*) from outbox e join outbox p on p.txid = e.txid
            where p.topic = 'order.fulfilled' and p.aggregate_id = @id and e.topic = 'email.requested' and e.payload->>'template' = 'order-shipped'
            """, new { id = checkout.Order.Id.ToString() }));
        // An empty body labelled JSON, as the generated C# client sends on a bodyless POST.
        var delivered = await (await admin.OrderActionAsync(orderUrl, "delivery", new StringContent("", System.Text.Encoding.UTF8, "application/json"))).ReadAsync<Order>();
        Assert.Equal("delivered", delivered.Status);

        var total = checkout.Order.Totals.Total.Amount;
        var partial = await Refund(admin, orderUrl, new RefundRequest(300, "scratched"), "r-1");
        Assert.Equal("partially_refunded", partial.Order.Status);
        Assert.Equal(300, partial.Order.Totals.Refunded.Amount);
        var replay = await Refund(admin, orderUrl, new RefundRequest(300, "scratched"), "r-1");
        Assert.Equal(partial.Refund.Id, replay.Refund.Id);
        var tooMuch = await admin.OrderActionAsync(orderUrl, "refunds", new RefundRequest(total, null), "r-2");
        Assert.EndsWith("/refund-too-large", (await tooMuch.ProblemAsync(HttpStatusCode.UnprocessableEntity))["type"]!.GetValue<string>());
        var rest = await Refund(admin, orderUrl, new RefundRequest(null, "returned"), "r-3");
        Assert.Equal("refunded", rest.Order.Status);
        Assert.Equal(total, rest.Order.Totals.Refunded.Amount);
        Assert.Equal(2, await Shop.CountAsync(factory, "select count(*) from refunds where order_id = @id", new { id = checkout.Order.Id }));
        Assert.Equal(HttpStatusCode.Conflict, (await admin.OrderActionAsync(orderUrl, "refunds", new RefundRequest(1, null), "r-4")).StatusCode);

        var history = (await (await admin.GetAsync(orderUrl)).ReadAsync<Order>()).History.Select(e => e.To).ToList();
        Assert.Equal(["pending_payment", "paid", "fulfilled", "delivered", "partially_refunded", "refunded"], history);
    }

    [Fact]
    public async Task Canceling_an_unpaid_order_releases_its_stock_and_canceling_a_paid_one_refunds_and_restocks()
    {
        await Shop.PricingAsync(factory);
        var admin = factory.Admin();
        var sku = await Shop.SkuAsync(admin, stock: 5);
        var shopper = factory.CreateClient();
        var unpaid = await Shop.CheckOutAsync(shopper, (await Shop.NewCartAsync(shopper, (sku, 2))).Token);
        var paid = await Shop.CheckOutAsync(shopper, (await Shop.NewCartAsync(shopper, (sku, 3))).Token);
        (await Shop.PayAsync(shopper, paid)).EnsureSuccessStatusCode();
        Assert.Equal((2, 2), await Shop.StockAsync(factory, sku));

        var canceled = await (await admin.OrderActionAsync(unpaid.Order.Id, "cancellation", new CancelOrderRequest("customer asked"))).ReadAsync<Order>();
        Assert.Equal("canceled", canceled.Status);
        Assert.Equal((2, 0), await Shop.StockAsync(factory, sku));

        var refunded = await (await admin.OrderActionAsync(paid.Order.Id, "cancellation")).ReadAsync<Order>();
        Assert.Equal("canceled", refunded.Status);
        Assert.Equal(refunded.Totals.Total, refunded.Totals.Refunded);
        Assert.Equal((5, 0), await Shop.StockAsync(factory, sku));
        Assert.Equal(HttpStatusCode.Conflict, (await admin.OrderActionAsync(paid.Order.Id, "cancellation")).StatusCode);
    }

    [Fact]
    public async Task Orders_are_listed_for_staff_with_filters_and_a_cursor_and_hidden_from_strangers()
    {
        await Shop.PricingAsync(factory);
        var admin = factory.Admin();
        var sku = await Shop.SkuAsync(admin, stock: 20);
        var shopper = factory.CreateClient();
        var email = $"lister-{Guid.NewGuid():N}@example.com";
        var placed = new List<CheckoutResult>();
        for (var i = 0; i < 3; i++)
        {
            var cart = await Shop.NewCartAsync(shopper, (sku, 1));
            placed.Add(await (await Shop.CheckoutAsync(shopper, Shop.CheckoutBody(cart.Token, email: email))).ReadAsync<CheckoutResult>(HttpStatusCode.Created));
        }
        (await Shop.PayAsync(shopper, placed[1])).EnsureSuccessStatusCode();

        var first = await (await admin.GetAsync($"/api/v1/admin/orders?email={email}&limit=2")).ReadAsync<OrderPage>();
        Assert.Equal([placed[2].Order.Id, placed[1].Order.Id], first.Items.Select(o => o.Id));
        var second = await (await admin.GetAsync($"/api/v1/admin/orders?email={email}&limit=2&cursor={first.NextCursor}")).ReadAsync<OrderPage>();
        Assert.Equal([placed[0].Order.Id], second.Items.Select(o => o.Id));
        Assert.Null(second.NextCursor);
        var paidOnly = await (await admin.GetAsync($"/api/v1/admin/orders?email={email}&status=paid")).ReadAsync<OrderPage>();
        Assert.Equal([placed[1].Order.Number], paidOnly.Items.Select(o => o.Number));
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/api/v1/admin/orders?status=lost")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/api/v1/admin/orders?cursor=nonsense!")).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await shopper.GetAsync($"/api/v1/orders/{placed[0].Order.Id}")).StatusCode);
        var wrongToken = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/orders/{placed[0].Order.Id}");
        wrongToken.Headers.Add("X-Order-Token", placed[1].OrderToken);
        Assert.Equal(HttpStatusCode.NotFound, (await shopper.SendAsync(wrongToken)).StatusCode);
    }

    private static async Task<RefundResult> Refund(HttpClient admin, string orderUrl, RefundRequest body, string key) =>
        await (await admin.OrderActionAsync(orderUrl, "refunds", body, key)).ReadAsync<RefundResult>(HttpStatusCode.Created);
}
