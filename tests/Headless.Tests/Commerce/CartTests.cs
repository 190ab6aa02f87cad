using System.Net;
using System.Net.Http.Json;
using Dapper;
using Headless.Contracts.Commerce;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Commerce;

public sealed class CartTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task A_query_value_never_replaces_the_cart_token_in_the_path()
    {
        var admin = factory.Admin();
        var mug = await Shop.SkuAsync(admin, stock: 10);
        var shopper = factory.CreateClient();
        var mine = await Shop.NewCartAsync(shopper, (mug, 1));
        var other = await Shop.NewCartAsync(shopper, (mug, 2));

        var read = await (await shopper.GetAsync($"/api/v1/carts/{mine.Token}?cartToken={other.Token}")).ReadAsync<Cart>();
        Assert.Equal(mine.Id, read.Id);
        var removed = await (await shopper.DeleteAsync($"/api/v1/carts/{mine.Token}/lines/{mug}?cartToken={other.Token}&sku=NO-SUCH")).ReadAsync<Cart>();
        Assert.Equal(mine.Id, removed.Id);
        Assert.Empty(removed.Lines);
        Assert.Equal(2, (await (await shopper.GetAsync($"/api/v1/carts/{other.Token}")).ReadAsync<Cart>()).Lines.Single().Quantity);
    }

    [Fact]
    public async Task A_guest_cart_adds_up_lines_and_prices_shipping_tax_and_discount_for_its_destination()
    {
        await Shop.PricingAsync(factory);
        var admin = factory.Admin();
        var mug = await Shop.SkuAsync(admin, stock: 10, price: 1250);
        var tote = await Shop.SkuAsync(admin, stock: 10, price: 2000);
        var shopper = factory.CreateClient();
        var cart = await Shop.NewCartAsync(shopper, (mug, 1), (mug, 2), (tote, 1));
        Assert.Equal(43, cart.Token.Length);
        Assert.Equal([(mug, 3), (tote, 1)], cart.Lines.Select(l => (l.Sku, l.Quantity)));
        Assert.Equal(5750, cart.Totals.Subtotal.Amount);
        Assert.Empty(cart.ShippingOptions); // no destination yet

        // Germany: VAT is inside the price; standard shipping 4.90; WELCOME10 takes 10 % off the goods.
        var de = await Patch(shopper, cart.Token, new UpdateCartRequest("DE", null, "standard", "welcome10"));
        Assert.Equal(575, de.Totals.Discount.Amount);
        Assert.Equal(490, de.Totals.Shipping.Amount);
        Assert.True(de.Totals.TaxIncluded);
        Assert.Equal(5665, de.Totals.Total.Amount);
        Assert.Equal(904, de.Totals.Tax.Amount); // 5665 × 19/119 = 904.496, rounded
        Assert.Equal("WELCOME10", de.Discount!.Code);

        // California: sales tax is added on top; the standard rate to the rest of the world is 19.90.
        var us = await Patch(shopper, cart.Token, new UpdateCartRequest("US", "CA", "", null));
        Assert.Null(us.ShippingMethod);
        var ca = await Patch(shopper, cart.Token, new UpdateCartRequest(null, null, "standard", null));
        Assert.False(ca.Totals.TaxIncluded);
        Assert.Equal(1990, ca.Totals.Shipping.Amount);
        Assert.Equal(((5750 - 575 + 1990) * 725 + 5000) / 10000, ca.Totals.Tax.Amount);
        Assert.Equal(5750 - 575 + 1990 + ca.Totals.Tax.Amount, ca.Totals.Total.Amount);

        var set = await (await shopper.SendJsonAsync(HttpMethod.Put, $"/api/v1/carts/{cart.Token}/lines/{mug}", new SetCartLineRequest(1))).ReadAsync<Cart>();
        Assert.Equal(1, set.Lines.Single(l => l.Sku == mug).Quantity);
        var removed = await (await shopper.DeleteAsync($"/api/v1/carts/{cart.Token}/lines/{tote}")).ReadAsync<Cart>();
        Assert.Equal([mug], removed.Lines.Select(l => l.Sku));
        var read = await (await shopper.GetAsync($"/api/v1/carts/{cart.Token}")).ReadAsync<Cart>();
        Assert.Equal(removed.Version, read.Version);
        Assert.Equal(1250, read.Totals.Subtotal.Amount);
        Assert.Contains(read.Issues, i => i.Code == "discount-not-applicable"); // under the code's minimum now
    }

    [Fact]
    public async Task Cart_reads_show_todays_price_and_stock()
    {
        await Shop.PricingAsync(factory);
        var admin = factory.Admin();
        var sku = await Shop.SkuAsync(admin, stock: 3, price: 1000);
        var shopper = factory.CreateClient();
        var cart = await Shop.NewCartAsync(shopper, (sku, 3));
        (await admin.SendJsonAsync(HttpMethod.Post, $"/api/v1/admin/inventory/{sku}/adjustments", new { delta = -2, reason = "breakage" })).EnsureSuccessStatusCode();

        var read = await (await shopper.GetAsync($"/api/v1/carts/{cart.Token}")).ReadAsync<Cart>();
        var line = read.Lines.Single();
        Assert.False(line.Purchasable);
        Assert.Equal(1, line.Available);
        Assert.Contains(read.Issues, i => i.Code == "insufficient-stock" && i.Sku == sku);
        var refused = await Shop.CheckoutAsync(shopper, Shop.CheckoutBody(cart.Token));
        Assert.EndsWith("/out-of-stock", (await refused.ProblemAsync(HttpStatusCode.Conflict))["type"]!.GetValue<string>());
        Assert.Equal((1, 0), await Shop.StockAsync(factory, sku));
    }

    // Migration 0033: the foreign key to variants locked the variant's row on every new line (a write to the
    // catalog per add, and one multixact shared by every shopper adding a hot SKU at once).
    [Fact]
    public async Task Adding_a_line_leaves_the_variants_row_untouched()
    {
        var admin = factory.Admin();
        var sku = await Shop.SkuAsync(admin, stock: 10);
        const string rowVersion = "select xmin::text || '/' || xmax::text from variants where sku = @sku";
        await using var conn = await factory.Db.OpenConnectionAsync();
        var before = await conn.ExecuteScalarAsync<string>(rowVersion, new { sku });

        var cart = await Shop.NewCartAsync(factory.CreateClient(), (sku, 2));

        Assert.Equal(2, cart.Lines.Single().Quantity);
        Assert.Equal(before, await conn.ExecuteScalarAsync<string>(rowVersion, new { sku }));
    }

    [Fact]
    public async Task Cart_creation_is_idempotent_with_a_key()
    {
        var shopper = factory.CreateClient();
        async Task<HttpResponseMessage> Create(string key, string body = "{}")
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/carts") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            request.Headers.Add("Idempotency-Key", key);
            return await shopper.SendAsync(request);
        }
        var key = Guid.NewGuid().ToString();
        var first = await (await Create(key)).ReadAsync<Cart>(HttpStatusCode.Created);
        var again = await Create(key);
        Assert.Equal(first.Token, (await again.ReadAsync<Cart>(HttpStatusCode.Created)).Token);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await Create(key, """{"currency":"EUR"}""")).StatusCode);
        Assert.Equal(1, await Shop.CountAsync(factory, "select count(*) from carts where id = @id", new { id = first.Id }));
    }

    [Theory]
    [InlineData("""{"sku":"X","quantity":0}""", "quantity")]
    [InlineData("""{"sku":"X","quantity":-3}""", "quantity")]
    [InlineData("""{"sku":"X","quantity":1000000}""", "quantity")]
    [InlineData("""{"sku":"X","quantity":1.5}""", "$.quantity")]
    [InlineData("""{"sku":"","quantity":1}""", "sku")]
    [InlineData("""{"quantity":1}""", "sku")]
    public async Task Bad_line_input_is_a_400_that_changes_nothing(string body, string field)
    {
        var shopper = factory.CreateClient();
        var cart = await Shop.NewCartAsync(shopper);
        var response = await shopper.SendRawAsync(HttpMethod.Post, $"/api/v1/carts/{cart.Token}/lines", body);
        Assert.Contains(field, (await response.ProblemAsync(HttpStatusCode.BadRequest)).FieldErrors());
        var after = await (await shopper.GetAsync($"/api/v1/carts/{cart.Token}")).ReadAsync<Cart>();
        Assert.Equal(cart.Version, after.Version);
        Assert.Empty(after.Lines);
    }

    [Fact]
    public async Task Adds_at_once_to_one_cart_all_count_and_each_answer_is_the_whole_priced_cart_at_its_version()
    {
        await Shop.PricingAsync(factory);
        var admin = factory.Admin();
        var (sku, other) = (await Shop.SkuAsync(admin, stock: 100, price: 1000), await Shop.SkuAsync(admin, stock: 5, price: 250));
        var shopper = factory.CreateClient();
        var cart = await Shop.NewCartAsync(shopper, (other, 2));

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            factory.CreateClient().PostAsJsonAsync($"/api/v1/carts/{cart.Token}/lines", new AddCartLineRequest(sku, 1), Http.Json)));

        var versions = new List<int>();
        foreach (var response in responses)
        {
            var answer = await response.ReadAsync<Cart>();
            Assert.Equal($"\"v{answer.Version}\"", response.Headers.ETag!.Tag);
            Assert.Equal([other, sku], answer.Lines.Select(l => l.Sku));
            Assert.Equal(2, answer.Lines[0].Quantity);
            var line = answer.Lines[1];
            Assert.Equal(line.Quantity * 1000 + 500, answer.Totals.Subtotal.Amount);
            versions.Add(answer.Version);
        }
        Assert.Equal(Enumerable.Range(cart.Version + 1, 20), versions.Order());
        var after = await (await shopper.GetAsync($"/api/v1/carts/{cart.Token}")).ReadAsync<Cart>();
        Assert.Equal(20, after.Lines.Single(l => l.Sku == sku).Quantity);
        Assert.Equal(cart.Version + 20, after.Version);
    }

    [Fact]
    public async Task An_add_that_cannot_go_through_changes_nothing_and_says_why()
    {
        await Shop.PricingAsync(factory);
        var admin = factory.Admin();
        var sku = await Shop.SkuAsync(admin, stock: 3);
        var shopper = factory.CreateClient();
        var cart = await Shop.NewCartAsync(shopper, (sku, 2));
        var url = $"/api/v1/carts/{cart.Token}/lines";

        var stale = await shopper.SendJsonAsync(HttpMethod.Post, url, new AddCartLineRequest(sku, 1), ifMatch: $"\"v{cart.Version - 1}\"");
        await stale.ProblemAsync(HttpStatusCode.PreconditionFailed);
        var beyondStock = await shopper.PostAsJsonAsync(url, new AddCartLineRequest(sku, 2), Http.Json);
        Assert.Contains("Only 1", (await beyondStock.ProblemAsync(HttpStatusCode.Conflict))["detail"]!.GetValue<string>());
        var unknown = await shopper.PostAsJsonAsync(url, new AddCartLineRequest("NO-SUCH-SKU", 1), Http.Json);
        await unknown.ProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.NotFound, (await shopper.PostAsJsonAsync($"/api/v1/carts/{new string('a', 43)}/lines", new AddCartLineRequest(sku, 1), Http.Json)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await shopper.PostAsJsonAsync("/api/v1/carts/mine/lines", new AddCartLineRequest(sku, 1), Http.Json)).StatusCode);
        var unchanged = await (await shopper.GetAsync($"/api/v1/carts/{cart.Token}")).ReadAsync<Cart>();
        Assert.Equal(cart.Version, unchanged.Version);
        Assert.Equal(2, unchanged.Lines.Single().Quantity);

        var current = await shopper.SendJsonAsync(HttpMethod.Post, url, new AddCartLineRequest(sku, 1), ifMatch: $"\"v{cart.Version}\"");
        Assert.Equal(3, (await current.ReadAsync<Cart>()).Lines.Single().Quantity);
        await Shop.CheckOutAsync(shopper, cart.Token);
        var closed = await shopper.PostAsJsonAsync(url, new AddCartLineRequest(sku, 1), Http.Json);
        await closed.ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(3, await Shop.CountAsync(factory, "select quantity from cart_lines where cart_id = @id", new { id = cart.Id }));
    }

    [Fact]
    public async Task Unknown_skus_too_many_units_bad_tokens_and_foreign_currencies_are_refused()
    {
        await Shop.PricingAsync(factory);
        var admin = factory.Admin();
        var sku = await Shop.SkuAsync(admin, stock: 2);
        var shopper = factory.CreateClient();
        var cart = await Shop.NewCartAsync(shopper);

        var unknown = await shopper.PostAsJsonAsync($"/api/v1/carts/{cart.Token}/lines", new AddCartLineRequest("NO-SUCH-SKU", 1), Http.Json);
        Assert.EndsWith("/unknown-sku", (await unknown.ProblemAsync(HttpStatusCode.NotFound))["type"]!.GetValue<string>());
        var tooMany = await shopper.PostAsJsonAsync($"/api/v1/carts/{cart.Token}/lines", new AddCartLineRequest(sku, 3), Http.Json);
        Assert.Contains("Only 2", (await tooMany.ProblemAsync(HttpStatusCode.Conflict))["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await shopper.GetAsync("/api/v1/carts/not-a-token")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await shopper.GetAsync($"/api/v1/carts/{new string('a', 43)}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await shopper.GetAsync("/api/v1/carts/mine")).StatusCode);
        var usd = await shopper.PostAsJsonAsync("/api/v1/carts", new CreateCartRequest("USD"), Http.Json);
        Assert.Contains("currency", (await usd.ProblemAsync(HttpStatusCode.BadRequest)).FieldErrors());
        var badCountry = await shopper.SendJsonAsync(HttpMethod.Patch, $"/api/v1/carts/{cart.Token}", new UpdateCartRequest("XX", null, null, null));
        Assert.Contains("country", (await badCountry.ProblemAsync(HttpStatusCode.BadRequest)).FieldErrors());
        var noMethod = await shopper.SendJsonAsync(HttpMethod.Patch, $"/api/v1/carts/{cart.Token}", new UpdateCartRequest("DE", null, "teleport", null));
        Assert.Contains("shippingMethod", (await noMethod.ProblemAsync(HttpStatusCode.UnprocessableEntity)).FieldErrors());
        var after = await (await shopper.GetAsync($"/api/v1/carts/{cart.Token}")).ReadAsync<Cart>();
        Assert.Equal(cart.Version, after.Version);
        Assert.Null(after.Country);
        Assert.Empty(after.Lines);
    }

    [Fact]
    public async Task Expired_exhausted_early_and_unknown_discount_codes_are_refused_with_their_reason()
    {
        await Shop.PricingAsync(factory);
        var admin = factory.Admin();
        var now = DateTimeOffset.UtcNow;
        async Task<string> Code(object body)
        {
            var code = CatalogSeed.Unique("C").ToUpperInvariant().Replace("-", "", StringComparison.Ordinal);
            var json = System.Text.Json.JsonSerializer.SerializeToNode(body, Http.Json)!.AsObject();
            json["code"] = code;
            json["kind"] = "fixed";
            json["value"] = 100;
            (await admin.SendRawAsync(HttpMethod.Post, "/api/v1/admin/discount-codes", json.ToJsonString())).EnsureSuccessStatusCode();
            return code;
        }
        var expired = await Code(new { startsAt = now.AddDays(-10), endsAt = now.AddDays(-1) });
        var early = await Code(new { startsAt = now.AddDays(1) });
        var exhausted = await Code(new { usageLimit = 1 });
        var sku = await Shop.SkuAsync(admin, stock: 10);
        var shopper = factory.CreateClient();
        (await Shop.CheckoutAsync(shopper, Shop.CheckoutBody((await Shop.NewCartAsync(shopper, (sku, 1))).Token, discountCode: exhausted))).EnsureSuccessStatusCode();
        var cart = await Shop.NewCartAsync(shopper, (sku, 1));

        foreach (var (code, reason) in new[] { (expired, "expired"), (early, "not valid yet"), (exhausted, "used up"), ("NOPE", "does not exist") })
        {
            var response = await shopper.SendJsonAsync(HttpMethod.Patch, $"/api/v1/carts/{cart.Token}", new UpdateCartRequest("DE", null, "standard", code));
            Assert.Contains(reason, (await response.ProblemAsync(HttpStatusCode.UnprocessableEntity))["detail"]!.GetValue<string>());
            var checkout = await Shop.CheckoutAsync(shopper, Shop.CheckoutBody(cart.Token, discountCode: code));
            Assert.Contains("discountCode", (await checkout.ProblemAsync(HttpStatusCode.UnprocessableEntity)).FieldErrors());
        }
        Assert.Equal(1, await Shop.CountAsync(factory, "select count(*) from orders o join order_lines l on l.order_id = o.id where l.sku = @sku", new { sku }));
        Assert.Equal((10, 1), await Shop.StockAsync(factory, sku));
    }

    private static async Task<Cart> Patch(HttpClient client, string token, UpdateCartRequest body) =>
        await (await client.SendJsonAsync(HttpMethod.Patch, $"/api/v1/carts/{token}", body)).ReadAsync<Cart>();
}
