using System.Net;
using System.Net.Http.Json;
using Dapper;
using Headless.Api.Features.Demo;
using Headless.Api.Features.Pricing;
using Headless.Contracts.Commerce;
using Headless.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Headless.Tests.Commerce;

/// <summary>Shopping steps for commerce tests: stock, pricing rules, carts and checkouts through the API.</summary>
public static class Shop
{
    /// <summary>The demo pricing rules (standard shipping to DE at 4.90 under 2 kg, DE VAT 19 % included,
    /// US-CA sales tax 7.25 % added, WELCOME10), loaded before the test's first request.</summary>
    public static async Task PricingAsync(ApiFactory factory)
    {
        await DemoPricing.LoadAsync(factory.Db, "EUR", CancellationToken.None);
        factory.Services.GetRequiredService<PricingRules>().Invalidate();
    }

    public static async Task<string> SkuAsync(HttpClient admin, int stock, long price = 1500)
    {
        var product = await admin.CreateProductAsync(CatalogSeed.Product(variants: CatalogSeed.Variant(price: price, stock: stock)));
        return product.Variants[0].Sku;
    }

    public static async Task<Cart> NewCartAsync(HttpClient client, params (string Sku, int Quantity)[] lines)
    {
        var cart = await (await client.PostAsync("/api/v1/carts", null)).ReadAsync<Cart>(HttpStatusCode.Created);
        foreach (var (sku, quantity) in lines)
        {
            cart = await (await client.PostAsJsonAsync($"/api/v1/carts/{cart.Token}/lines", new AddCartLineRequest(sku, quantity), Http.Json)).ReadAsync<Cart>();
        }
        return cart;
    }

    public static object Address(string country = "DE", string postalCode = "10115", string? region = null) =>
        new { fullName = "Ada Lovelace", line1 = "Hauptstraße 1", city = "Berlin", postalCode, country, region };

    public static object CheckoutBody(string cartToken, string country = "DE", string postalCode = "10115", string? region = null,
        string shippingMethod = "standard", string? discountCode = null, string email = "ada@example.com") =>
        new { cartToken, email, shippingAddress = Address(country, postalCode, region), shippingMethod, discountCode };

    public static Task<HttpResponseMessage> CheckoutAsync(HttpClient client, object body, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/checkouts") { Content = JsonContent.Create(body, options: Http.Json) };
        request.Headers.Add("Idempotency-Key", idempotencyKey ?? Guid.NewGuid().ToString());
        return client.SendAsync(request);
    }

    public static async Task<CheckoutResult> CheckOutAsync(HttpClient client, string cartToken, string? discountCode = null) =>
        await (await CheckoutAsync(client, CheckoutBody(cartToken, discountCode: discountCode))).ReadAsync<CheckoutResult>(HttpStatusCode.Created);

    public static Task<HttpResponseMessage> PayAsync(HttpClient client, CheckoutResult checkout, string card = "4242 4242 4242 4242")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/test-payments/{checkout.Payment.PaymentIntentId}/confirm")
        {
            Content = JsonContent.Create(new TestCardRequest(card, "12/34", "123"), options: Http.Json),
        };
        request.Headers.Add("X-Client-Secret", checkout.Payment.ClientSecret);
        return client.SendAsync(request);
    }

    public static async Task<(int OnHand, int Reserved)> StockAsync(ApiFactory factory, string sku)
    {
        await using var conn = await factory.Db.OpenConnectionAsync();
        return await conn.QuerySingleAsync<(int, int)>("select on_hand, reserved from inventory where sku = @sku", new { sku });
    }

    public static async Task<long> CountAsync(ApiFactory factory, string sql, object? args = null)
    {
        await using var conn = await factory.Db.OpenConnectionAsync();
        return await conn.ExecuteScalarAsync<long>(sql, args);
    }
}
