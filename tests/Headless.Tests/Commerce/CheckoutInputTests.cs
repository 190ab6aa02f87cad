using System.Net;
using System.Net.Http.Json;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Commerce;

public sealed class CheckoutInputTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    public static TheoryData<string, string> BadAddresses => new()
    {
        { """{"fullName":"A","line1":"B","city":"C","postalCode":"10115","country":"XX"}""", "shippingAddress.country" },
        { """{"fullName":"A","line1":"B","city":"C","postalCode":"10115","country":"de"}""", "shippingAddress.country" },
        { """{"fullName":"A","line1":"B","postalCode":"10115","country":"DE"}""", "shippingAddress.city" },
        { """{"fullName":"","line1":"B","city":"C","postalCode":"10115","country":"DE"}""", "shippingAddress.fullName" },
        { """{"fullName":"A","line1":"B","city":"C","postalCode":"1011","country":"DE"}""", "shippingAddress.postalCode" },
        { """{"fullName":"A","line1":"B","city":"C","postalCode":"94103","country":"US"}""", "shippingAddress.region" },
        { """{"fullName":"A","line1":"B","city":"C","postalCode":"ABCDE","country":"US","region":"CA"}""", "shippingAddress.postalCode" },
        { """{"fullName":"A\u0000","line1":"B","city":"C","postalCode":"10115","country":"DE"}""", "shippingAddress.fullName" },
    };

    [Theory]
    [MemberData(nameof(BadAddresses))]
    public async Task Invalid_addresses_are_a_400_and_nothing_is_reserved(string address, string field)
    {
        await Shop.PricingAsync(factory);
        var sku = await Shop.SkuAsync(factory.Admin(), stock: 5);
        var shopper = factory.CreateClient();
        var cart = await Shop.NewCartAsync(shopper, (sku, 1));
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/checkouts")
        {
            Content = new StringContent($$"""{"cartToken":"{{cart.Token}}","email":"a@example.com","shippingMethod":"standard","shippingAddress":{{address}}}""",
                System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        var response = await shopper.SendAsync(request);
        Assert.Contains(field, (await response.ProblemAsync(HttpStatusCode.BadRequest)).FieldErrors());
        Assert.Equal((5, 0), await Shop.StockAsync(factory, sku));
        Assert.Equal(0, await Shop.CountAsync(factory, "select count(*) from orders where cart_id = @id", new { id = cart.Id }));
    }

    [Fact]
    public async Task Empty_carts_missing_emails_unknown_methods_and_unshippable_destinations_are_refused()
    {
        await Shop.PricingAsync(factory);
        var sku = await Shop.SkuAsync(factory.Admin(), stock: 5);
        var shopper = factory.CreateClient();
        var empty = await Shop.NewCartAsync(shopper);
        Assert.EndsWith("/cart-empty", (await (await Shop.CheckoutAsync(shopper, Shop.CheckoutBody(empty.Token))).ProblemAsync(HttpStatusCode.UnprocessableEntity))["type"]!.GetValue<string>());

        var cart = await Shop.NewCartAsync(shopper, (sku, 1));
        var noEmail = await Shop.CheckoutAsync(shopper, new { cartToken = cart.Token, shippingAddress = Shop.Address(), shippingMethod = "standard" });
        Assert.Contains("email", (await noEmail.ProblemAsync(HttpStatusCode.BadRequest)).FieldErrors());
        var badEmail = await Shop.CheckoutAsync(shopper, Shop.CheckoutBody(cart.Token, email: "not an email"));
        Assert.Contains("email", (await badEmail.ProblemAsync(HttpStatusCode.BadRequest)).FieldErrors());
        var method = await Shop.CheckoutAsync(shopper, Shop.CheckoutBody(cart.Token, shippingMethod: "teleport"));
        Assert.Contains("shippingMethod", (await method.ProblemAsync(HttpStatusCode.UnprocessableEntity)).FieldErrors());
        var express = await Shop.CheckoutAsync(shopper, Shop.CheckoutBody(cart.Token, country: "JP", postalCode: "100-0001", shippingMethod: "express"));
        Assert.EndsWith("/shipping-method-unavailable", (await express.ProblemAsync(HttpStatusCode.UnprocessableEntity))["type"]!.GetValue<string>());
        var unknownCart = await Shop.CheckoutAsync(shopper, Shop.CheckoutBody(new string('x', 43)));
        Assert.Equal(HttpStatusCode.NotFound, unknownCart.StatusCode);
        var malformed = await shopper.SendRawAsync(HttpMethod.Post, "/api/v1/checkouts", "{\"cartToken\":");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);

        Assert.Equal((5, 0), await Shop.StockAsync(factory, sku));
        Assert.Equal(0, await Shop.CountAsync(factory, "select count(*) from orders where cart_id = @id", new { id = cart.Id }));
        // The cart is still open and can check out once the input is right.
        (await Shop.CheckoutAsync(shopper, Shop.CheckoutBody(cart.Token))).EnsureSuccessStatusCode();
        Assert.Equal((5, 1), await Shop.StockAsync(factory, sku));
        Assert.Equal(HttpStatusCode.Conflict, (await Shop.CheckoutAsync(shopper, Shop.CheckoutBody(cart.Token))).StatusCode);
    }

    [Fact]
    public async Task A_cart_edited_during_checkout_cannot_be_sold_as_it_was()
    {
        await Shop.PricingAsync(factory);
        var sku = await Shop.SkuAsync(factory.Admin(), stock: 50);
        var shopper = factory.CreateClient();
        var cart = await Shop.NewCartAsync(shopper, (sku, 1));
        // Concurrent edits and checkouts of one cart: whatever interleaving happens, at most one order, and
        // its lines equal the cart as it was when it closed.
        var work = Enumerable.Range(0, 10).Select(i => i % 2 == 0
            ? Shop.CheckoutAsync(factory.CreateClient(), Shop.CheckoutBody(cart.Token))
            : factory.CreateClient().PostAsJsonAsync($"/api/v1/carts/{cart.Token}/lines", new Contracts.Commerce.AddCartLineRequest(sku, 1), Http.Json));
        await Task.WhenAll(work);
        var orders = await Shop.CountAsync(factory, "select count(*) from orders where cart_id = @id", new { id = cart.Id });
        Assert.InRange(orders, 0, 1);
        if (orders == 0)
        {
            // Every checkout lost to an edit (409 cart-changed): the cart is intact and sells once now.
            (await Shop.CheckoutAsync(shopper, Shop.CheckoutBody(cart.Token))).EnsureSuccessStatusCode();
        }
        Assert.Equal(1, await Shop.CountAsync(factory, "select count(*) from orders where cart_id = @id", new { id = cart.Id }));
        var sold = await Shop.CountAsync(factory, "select quantity from order_lines l join orders o on o.id = l.order_id where o.cart_id = @id", new { id = cart.Id });
        Assert.Equal(sold, await Shop.CountAsync(factory, "select quantity from cart_lines where cart_id = @id", new { id = cart.Id }));
        Assert.Equal((50, (int)sold), await Shop.StockAsync(factory, sku));
    }
}
