using System.Net;
using System.Net.Http.Json;
using Dapper;
using Headless.Contracts.Commerce;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Headless.Tests.Payments;

/// <summary>
/// The API on its own database taking payments through Stripe, with Stripe played by a
/// <see cref="StripeStandIn"/> on 127.0.0.1. One per test class. Prices: shipping "standard" to DE at
/// 4.90, DE VAT 19 % included; the sweeper runs only when a test calls it.
/// </summary>
public sealed class StripeHost : ApiFactory, IAsyncLifetime
{
    public const string SecretKey = "sk_test_51HeadlessStandInKey00000000000000000000";
    public const string PublishableKey = "pk_test_51HeadlessStandInKey00000000000000000000";
    public const string WebhookSecret = "whsec_headlessStandInSigningSecret0000000000";
    public const long ShippingAmount = 490;

    public StripeStandIn Stripe { get; private set; } = null!;

    public new async Task InitializeAsync()
    {
        Stripe = await StripeStandIn.StartAsync(SecretKey, WebhookSecret);
        await base.InitializeAsync();
        var admin = Admin();
        (await admin.PostAsJsonAsync("/api/v1/admin/shipping-methods", new CreateShippingMethodRequest("standard", "Standard", true, 0,
            [new ShippingRateInput(["DE"], 0, null, ShippingAmount)]), Http.Json)).EnsureSuccessStatusCode();
        (await admin.PutAsJsonAsync("/api/v1/admin/tax-rates/DE", new SetTaxRateRequest(1900, true), Http.Json)).EnsureSuccessStatusCode();
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Stripe is not null)
        {
            await Stripe.DisposeAsync();
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Headless:Payments:Stripe:SecretKey", SecretKey);
        builder.UseSetting("Headless:Payments:Stripe:PublishableKey", PublishableKey);
        builder.UseSetting("Headless:Payments:Stripe:WebhookSecret", WebhookSecret);
        builder.UseSetting("Headless:Payments:Stripe:ApiBase", Stripe.BaseUrl);
        builder.UseSetting("Headless:Payments:Stripe:TimeoutSeconds", "3");
        // The background sweep runs once at start (nothing to do then); tests sweep when they mean to.
        builder.UseSetting("Headless:Checkout:SweepIntervalSeconds", "86400");
    }

    // ---- Shopping through the API --------------------------------------------------------------------

    public async Task<string> SkuAsync(int stock, long price = 2500)
    {
        var product = await Admin().CreateProductAsync(CatalogSeed.Product(variants: CatalogSeed.Variant(price: price, stock: stock)));
        return product.Variants[0].Sku;
    }

    public static async Task<Cart> CartAsync(HttpClient client, string sku, int quantity)
    {
        var cart = await (await client.PostAsync("/api/v1/carts", null)).ReadAsync<Cart>(HttpStatusCode.Created);
        return await (await client.PostAsJsonAsync($"/api/v1/carts/{cart.Token}/lines", new AddCartLineRequest(sku, quantity), Http.Json)).ReadAsync<Cart>();
    }

    public static object CheckoutBody(string cartToken, string email = "ada@example.com") => new
    {
        cartToken,
        email,
        shippingAddress = new { fullName = "Ada Lovelace", line1 = "Hauptstraße 1", city = "Berlin", postalCode = "10115", country = "DE" },
        shippingMethod = "standard",
    };

    public static Task<HttpResponseMessage> CheckoutAsync(HttpClient client, object body, string idempotencyKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/checkouts") { Content = JsonContent.Create(body, options: Http.Json) };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return client.SendAsync(request);
    }

    /// <summary>A fresh SKU with the stock, a cart with <paramref name="quantity"/> of it, checked out.</summary>
    public async Task<(CheckoutResult Checkout, string Sku, Cart Cart)> CheckOutAsync(int stock = 10, int quantity = 2, HttpClient? client = null)
    {
        var sku = await SkuAsync(stock);
        client ??= CreateClient();
        var cart = await CartAsync(client, sku, quantity);
        var checkout = await (await CheckoutAsync(client, CheckoutBody(cart.Token), Guid.NewGuid().ToString())).ReadAsync<CheckoutResult>(HttpStatusCode.Created);
        return (checkout, sku, cart);
    }

    /// <summary>The browser is back from Stripe: POST payment-confirmation with the order token.</summary>
    public static Task<HttpResponseMessage> ConfirmAsync(HttpClient client, CheckoutResult checkout)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/orders/{checkout.Order.Id}/payment-confirmation");
        request.Headers.Add("X-Order-Token", checkout.OrderToken);
        return client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> RefundAsync(HttpClient admin, Guid orderId, RefundRequest body, string idempotencyKey) =>
        admin.OrderActionAsync(orderId, "refunds", body, idempotencyKey);

    // ---- The database, as the tests check it ---------------------------------------------------------

    public sealed record OrderRow(string Status, string Reservation, long Total, long RefundedTotal, string PaymentStatus, string PaymentRef, string? LastError);

    public async Task<OrderRow> OrderAsync(Guid orderId)
    {
        await using var conn = await Db.OpenConnectionAsync();
        return await conn.QuerySingleAsync<OrderRow>("""
            select o.status, o.reservation, o.total, o.refunded_total, p.status as payment_status, p.provider_ref as payment_ref, p.last_error
            from orders o join payments p on p.order_id = o.id where o.id = @orderId
            """, new { orderId });
    }

    public async Task<(int OnHand, int Reserved)> StockAsync(string sku)
    {
        await using var conn = await Db.OpenConnectionAsync();
        return await conn.QuerySingleAsync<(int, int)>("select on_hand, reserved from inventory where sku = @sku", new { sku });
    }

    public async Task<long> CountAsync(string sql, object? args = null)
    {
        await using var conn = await Db.OpenConnectionAsync();
        return await conn.ExecuteScalarAsync<long>(sql, args);
    }

    public Task<long> PaidEventsAsync(Guid orderId) =>
        CountAsync("select count(*) from outbox where topic = 'order.paid' and aggregate_id = @id", new { id = orderId.ToString() });

    public Task<long> ConfirmationEmailsAsync(string orderNumber) =>
        CountAsync("""
            select count(*) from outbox e join outbox p on p.txid = e.txid
            where p.topic = 'order.paid' and p.payload->>'number' = @orderNumber
              and e.topic = 'email.requested' and e.payload->>'template' = 'order-confirmation'
            -- the mail itself is in the customer's vault (issue 15): it is the one queued with the order.paid event
            """, new { orderNumber });

    public Task<long> StripeEventsAsync(string eventId) =>
        CountAsync("select count(*) from stripe_events where id = @eventId", new { eventId });

    public Task<long> OrderEventsAsync(Guid orderId) =>
        CountAsync("select count(*) from order_events where order_id = @orderId", new { orderId });

    /// <summary>Moves the order's reservation expiry into the past, so the next sweep takes it.</summary>
    public async Task ExpireAsync(Guid orderId, TimeSpan ago)
    {
        await using var conn = await Db.OpenConnectionAsync();
        await conn.ExecuteAsync("update orders set reservation_expires_at = now() - @ago where id = @orderId", new { orderId, ago });
    }
}
