using System.Net;
using Dapper;
using Headless.Api.Features.Orders;
using Headless.Contracts.Commerce;
using Headless.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Headless.Tests.Commerce;

/// <summary>The promises a commerce platform is judged by on Black Friday, against a real PostgreSQL.</summary>
public sealed class CheckoutConcurrencyTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Two_hundred_checkouts_racing_for_ten_units_sell_exactly_ten()
    {
        await Shop.PricingAsync(factory);
        var admin = factory.Admin();
        var sku = await Shop.SkuAsync(admin, stock: 10);
        var shopper = factory.CreateClient();
        var carts = new List<Cart>();
        for (var i = 0; i < 200; i++)
        {
            carts.Add(await Shop.NewCartAsync(shopper, (sku, 1)));
        }

        // Two hundred shoppers: one email each. (One guest's 200 checkouts at once would queue on their one vault
        // row and, on a slow disk, wait longer for a vault connection than the vault's 3 s: a 503, not an oversell.)
        var responses = await Task.WhenAll(carts.Select((c, i) =>
            Shop.CheckoutAsync(factory.CreateClient(), Shop.CheckoutBody(c.Token, email: $"racer{i}@example.com"))));

        Assert.Equal(10, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        var refused = responses.Where(r => r.StatusCode != HttpStatusCode.Created).ToList();
        Assert.Equal(190, refused.Count);
        foreach (var response in refused)
        {
            var problem = await response.ProblemAsync(HttpStatusCode.Conflict);
            Assert.EndsWith("/out-of-stock", problem["type"]!.GetValue<string>());
            Assert.Contains("lines." + sku, problem.FieldErrors());
        }
        Assert.Equal((10, 10), await Shop.StockAsync(factory, sku));
        Assert.Equal(10, await Shop.CountAsync(factory, "select count(*) from order_lines where sku = @sku", new { sku }));
        Assert.Equal(0, await Shop.CountAsync(factory, "select count(*) from inventory where reserved > on_hand or on_hand < 0"));
    }

    [Fact]
    public async Task Carts_of_the_same_three_skus_in_every_order_racing_for_the_last_units_neither_deadlock_nor_oversell()
    {
        await Shop.PricingAsync(factory);
        var admin = factory.Admin();
        string[] skus = [await Shop.SkuAsync(admin, stock: 12), await Shop.SkuAsync(admin, stock: 12), await Shop.SkuAsync(admin, stock: 12)];
        int[][] orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
        var shopper = factory.CreateClient();
        var carts = new List<Cart>();
        for (var i = 0; i < 60; i++)
        {
            // Each cart's lines in another order, so the batched reservation receives its SKUs in every order.
            carts.Add(await Shop.NewCartAsync(shopper, orders[i % orders.Length].Select(s => (skus[s], 1)).ToArray()));
        }

        var responses = await Task.WhenAll(carts.Select((c, i) => Shop.CheckoutAsync(factory.CreateClient(), Shop.CheckoutBody(c.Token, email: $"racer{i}@example.com"))));

        var created = responses.Where(r => r.StatusCode == HttpStatusCode.Created).ToList();
        Assert.Equal(12, created.Count);
        foreach (var response in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
        {
            Assert.EndsWith("/out-of-stock", (await response.ProblemAsync(HttpStatusCode.Conflict))["type"]!.GetValue<string>());
        }
        foreach (var sku in skus)
        {
            Assert.Equal((12, 12), await Shop.StockAsync(factory, sku));
        }
        var orderIds = new List<string>();
        foreach (var response in created)
        {
            orderIds.Add((await response.ReadAsync<CheckoutResult>(HttpStatusCode.Created)).Order.Id.ToString());
        }
        // Every created order has its three lines and its order.created event; the refused left nothing behind.
        Assert.Equal(36, await Shop.CountAsync(factory, "select count(*) from order_lines where sku = any(@skus)", new { skus }));
        Assert.Equal(12, await Shop.CountAsync(factory, "select count(*) from outbox where topic = 'order.created' and aggregate_id = any(@orderIds)", new { orderIds }));
        Assert.Equal(12, await Shop.CountAsync(factory, "select count(distinct order_id) from order_lines where sku = any(@skus)", new { skus }));
        Assert.Equal(0, await Shop.CountAsync(factory, "select count(*) from inventory where reserved > on_hand or on_hand < 0"));
    }

    [Fact]
    public async Task The_same_checkout_retried_twenty_times_at_once_creates_one_order()
    {
        await Shop.PricingAsync(factory);
        var sku = await Shop.SkuAsync(factory.Admin(), stock: 50);
        var cart = await Shop.NewCartAsync(factory.CreateClient(), (sku, 2));
        var key = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Shop.CheckoutAsync(factory.CreateClient(), Shop.CheckoutBody(cart.Token), key)));

        var created = responses.Where(r => r.StatusCode == HttpStatusCode.Created).ToList();
        Assert.NotEmpty(created);
        // The others either found the first still running (409) or got its stored response.
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        var orderIds = new HashSet<Guid>();
        foreach (var response in created)
        {
            orderIds.Add((await response.ReadAsync<CheckoutResult>(HttpStatusCode.Created)).Order.Id);
        }
        Assert.Single(orderIds);
        Assert.Equal(1, await Shop.CountAsync(factory, "select count(*) from orders where cart_id = @id", new { id = cart.Id }));
        Assert.Equal((50, 2), await Shop.StockAsync(factory, sku));

        var replay = await Shop.CheckoutAsync(factory.CreateClient(), Shop.CheckoutBody(cart.Token), key);
        Assert.Equal(orderIds.Single(), (await replay.ReadAsync<CheckoutResult>(HttpStatusCode.Created)).Order.Id);
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
    }

    [Fact]
    public async Task A_key_reused_with_a_different_body_is_refused_and_a_missing_key_is_asked_for()
    {
        await Shop.PricingAsync(factory);
        var sku = await Shop.SkuAsync(factory.Admin(), stock: 5);
        var shopper = factory.CreateClient();
        var cart = await Shop.NewCartAsync(shopper, (sku, 1));
        var key = Guid.NewGuid().ToString();
        (await Shop.CheckoutAsync(shopper, Shop.CheckoutBody(cart.Token), key)).EnsureSuccessStatusCode();

        var other = await Shop.CheckoutAsync(shopper, Shop.CheckoutBody(cart.Token, email: "someone.else@example.com"), key);
        var mismatch = await other.ProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.EndsWith("/idempotency-key-reused", mismatch["type"]!.GetValue<string>());

        var cart2 = await Shop.NewCartAsync(shopper, (sku, 1));
        var noKey = await shopper.SendJsonAsync(HttpMethod.Post, "/api/v1/checkouts", Shop.CheckoutBody(cart2.Token));
        Assert.Contains("Idempotency-Key", (await noKey.ProblemAsync(HttpStatusCode.BadRequest)).FieldErrors());
        Assert.Equal((5, 1), await Shop.StockAsync(factory, sku));
    }

    [Fact]
    public async Task An_expired_reservation_returns_its_stock_and_the_late_order_cannot_be_paid()
    {
        await Shop.PricingAsync(factory);
        var sku = await Shop.SkuAsync(factory.Admin(), stock: 3);
        var shopper = factory.CreateClient();
        var checkout = await Shop.CheckOutAsync(shopper, (await Shop.NewCartAsync(shopper, (sku, 3))).Token);
        Assert.Equal((3, 3), await Shop.StockAsync(factory, sku));
        var sweeper = factory.Services.GetRequiredService<ReservationSweeper>();
        Assert.Equal(0, await ExpiredReleasedAsync(sweeper)); // not yet expired: nothing happens

        await using (var conn = await factory.Db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("update orders set reservation_expires_at = now() - interval '1 second' where id = @id", new { id = checkout.Order.Id });
        }
        Assert.True(await ExpiredReleasedAsync(sweeper) >= 1);

        Assert.Equal((3, 0), await Shop.StockAsync(factory, sku));
        var order = await Status(shopper, checkout);
        Assert.Equal("canceled", order.Status);
        Assert.Equal("released", order.Reservation);
        Assert.Contains(order.History, e => e.To == "canceled" && e.Note == "reservation expired");
        Assert.Equal(HttpStatusCode.Conflict, (await Shop.PayAsync(shopper, checkout)).StatusCode);
        Assert.Equal((3, 0), await Shop.StockAsync(factory, sku));
    }

    [Fact]
    public async Task A_discount_code_with_a_usage_limit_is_used_exactly_that_often_by_racing_checkouts()
    {
        await Shop.PricingAsync(factory);
        var admin = factory.Admin();
        var code = CatalogSeed.Unique("RACE").ToUpperInvariant();
        (await admin.SendJsonAsync(HttpMethod.Post, "/api/v1/admin/discount-codes",
            new { code, kind = "fixed", value = 100, usageLimit = 3 })).EnsureSuccessStatusCode();
        var sku = await Shop.SkuAsync(admin, stock: 100);
        var carts = new List<Cart>();
        for (var i = 0; i < 12; i++)
        {
            carts.Add(await Shop.NewCartAsync(factory.CreateClient(), (sku, 1)));
        }

        var responses = await Task.WhenAll(carts.Select(c => Shop.CheckoutAsync(factory.CreateClient(), Shop.CheckoutBody(c.Token, discountCode: code))));

        Assert.Equal(3, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode));
        Assert.Equal(3, await Shop.CountAsync(factory, "select times_used from discount_codes where code = @code", new { code }));
        Assert.Equal((100, 3), await Shop.StockAsync(factory, sku));
    }

    private static async Task<int> ExpiredReleasedAsync(ReservationSweeper sweeper) => await sweeper.SweepAsync(CancellationToken.None);

    private static async Task<Order> Status(HttpClient client, CheckoutResult checkout)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/orders/{checkout.Order.Id}");
        request.Headers.Add("X-Order-Token", checkout.OrderToken);
        return await (await client.SendAsync(request)).ReadAsync<Order>();
    }
}
