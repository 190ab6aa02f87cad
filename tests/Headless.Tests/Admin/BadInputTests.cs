using System.Net;
using System.Text;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Admin;

/// <summary>Bad input gets a 4xx problem naming what to fix, and changes nothing.</summary>
public sealed class BadInputTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _admin = api.Admin();
    private readonly HttpClient _public = api.CreateClient();

    private const string ValidVariant = """{"sku":"BAD-1","title":"M","options":{"size":"M"},"price":{"amount":1500,"currency":"EUR"},"weightGrams":200,"initialStock":3}""";

    private static string ProductJson(string slug = "bad-input-tote", string variant = ValidVariant) =>
        $$"""{"slug":"{{slug}}","title":"Tote","description":"","status":"active","images":[],"tags":[],"categoryIds":[],"variants":[{{variant}}]}""";

    private async Task<System.Text.Json.Nodes.JsonObject> AssertRejectedAsync(HttpResponseMessage response, HttpStatusCode status, params string[] fields)
    {
        var problem = await response.ProblemAsync(status);
        foreach (var field in fields)
        {
            Assert.Contains(field, problem.FieldErrors());
        }
        return problem;
    }

    public static TheoryData<string, string[]> InvalidProducts => new()
    {
        { "{\"slug\": \"x\",", ["$"] },
        { "[1, 2, 3]", ["$"] },
        { "{\"slug\": 5, \"title\": \"T\"}", ["$.slug"] },
        { "{}", ["slug", "title"] },
        { ProductJson(variant: ValidVariant.Replace("1500", "-1")), ["variants[0].price.amount"] },
        { ProductJson(variant: ValidVariant.Replace("1500", "999999999999")), ["variants[0].price.amount"] },
        { ProductJson(variant: ValidVariant.Replace("1500", "\"15.00\"")), ["$.variants[0].price.amount"] },
        { ProductJson(variant: ValidVariant.Replace("1500", "15.5")), ["$.variants[0].price.amount"] },
        { ProductJson(variant: ValidVariant.Replace("\"EUR\"", "\"USD\"")), ["variants[0].price.currency"] },
        { ProductJson(variant: ValidVariant.Replace(",\"price\":{\"amount\":1500,\"currency\":\"EUR\"}", "")), ["variants[0].price"] },
        { ProductJson(variant: ValidVariant.Replace("\"initialStock\":3", "\"initialStock\":-4")), ["variants[0].initialStock"] },
        { ProductJson(variant: ValidVariant.Replace("BAD-1", "bad sku; drop table products")), ["variants[0].sku"] },
        { ProductJson(slug: "Not A Slug"), ["slug"] },
        { ProductJson(slug: "x'; delete from products; --"), ["slug"] },
        { ProductJson(variant: ValidVariant + "," + ValidVariant), ["variants"] },
        { ProductJson().Replace("\"status\":\"active\"", "\"status\":\"published\""), ["status"] },
        { ProductJson().Replace("\"variants\":[" + ValidVariant + "]", "\"variants\":[]"), ["variants"] },
        { ProductJson().Replace("\"categoryIds\":[]", "\"categoryIds\":[\"not-a-guid\"]"), ["$.categoryIds[0]"] },
    };

    [Theory]
    [MemberData(nameof(InvalidProducts))]
    public async Task An_invalid_product_is_refused_with_field_errors_and_nothing_is_written(string json, string[] fields)
    {
        var before = await CatalogSeed.FingerprintAsync(api.Db);
        var response = await _admin.SendRawAsync(HttpMethod.Post, "/api/v1/admin/products", json);
        await AssertRejectedAsync(response, HttpStatusCode.BadRequest, fields);
        Assert.Equal(before, await CatalogSeed.FingerprintAsync(api.Db));
    }

    [Fact]
    public async Task An_oversized_body_is_refused_with_413()
    {
        var before = await CatalogSeed.FingerprintAsync(api.Db);
        var huge = ProductJson().Replace("\"description\":\"\"", $"\"description\":\"{new string('a', 2 * 1024 * 1024)}\"");
        await AssertRejectedAsync(await _admin.SendRawAsync(HttpMethod.Post, "/api/v1/admin/products", huge), HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(before, await CatalogSeed.FingerprintAsync(api.Db));
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_refused_with_415()
    {
        var response = await _admin.PostAsync("/api/v1/admin/products", new StringContent("slug=x", Encoding.UTF8, "text/plain"));
        await response.ProblemAsync(HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Duplicate_slug_and_duplicate_sku_are_conflicts_that_change_nothing()
    {
        var existing = await _admin.CreateProductAsync(CatalogSeed.Product());
        var before = await CatalogSeed.FingerprintAsync(api.Db);

        var sameSlug = await _admin.SendRawAsync(HttpMethod.Post, "/api/v1/admin/products",
            ProductJson(slug: existing.Slug, variant: ValidVariant.Replace("BAD-1", "FRESH-SKU-1")));
        await AssertRejectedAsync(sameSlug, HttpStatusCode.Conflict, "slug");

        var sameSku = await _admin.SendRawAsync(HttpMethod.Post, "/api/v1/admin/products",
            ProductJson(slug: "fresh-slug-for-sku-test", variant: ValidVariant.Replace("BAD-1", existing.Variants[0].Sku)));
        await AssertRejectedAsync(sameSku, HttpStatusCode.Conflict, "variants[0].sku");

        var renameToTaken = await _admin.CreateProductAsync(CatalogSeed.Product());
        before = await CatalogSeed.FingerprintAsync(api.Db);
        var patch = await _admin.SendJsonAsync(HttpMethod.Patch, $"/api/v1/admin/products/{renameToTaken.Id}", new { slug = existing.Slug }, $"\"v{renameToTaken.Version}\"");
        await AssertRejectedAsync(patch, HttpStatusCode.Conflict, "slug");
        Assert.Equal(before, await CatalogSeed.FingerprintAsync(api.Db));
    }

    [Fact]
    public async Task Unknown_ids_and_skus_are_404_problems()
    {
        var id = Guid.NewGuid();
        var before = await CatalogSeed.FingerprintAsync(api.Db);
        await (await _admin.GetAsync($"/api/v1/admin/products/{id}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await _admin.SendJsonAsync(HttpMethod.Patch, $"/api/v1/admin/products/{id}", new { title = "x" }, "\"v1\"")).ProblemAsync(HttpStatusCode.NotFound);
        await (await _admin.PostWithIfMatchAsync($"/api/v1/admin/products/{id}/archive", "\"v1\"")).ProblemAsync(HttpStatusCode.NotFound);
        await (await _admin.SendRawAsync(HttpMethod.Post, $"/api/v1/admin/products/{id}/variants", ValidVariant)).ProblemAsync(HttpStatusCode.NotFound);
        await (await _admin.SendJsonAsync(HttpMethod.Put, "/api/v1/admin/inventory/NO-SUCH-SKU", new { onHand = 3, reason = "x" }, "\"v1\"")).ProblemAsync(HttpStatusCode.NotFound);
        await (await _admin.SendJsonAsync(HttpMethod.Post, "/api/v1/admin/inventory/NO-SUCH-SKU/adjustments", new { delta = 3, reason = "x" })).ProblemAsync(HttpStatusCode.NotFound);
        await (await _admin.DeleteWithIfMatchAsync($"/api/v1/admin/categories/{id}", "\"v1\"")).ProblemAsync(HttpStatusCode.NotFound);
        await (await _public.GetAsync($"/api/v1/products/{id}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await _public.GetAsync("/api/v1/products/no-such-product")).ProblemAsync(HttpStatusCode.NotFound);
        var unknownCategory = await _admin.SendRawAsync(HttpMethod.Post, "/api/v1/admin/products",
            ProductJson().Replace("\"categoryIds\":[]", $"\"categoryIds\":[\"{id}\"]"));
        await AssertRejectedAsync(unknownCategory, HttpStatusCode.BadRequest, "categoryIds");
        Assert.Equal(before, await CatalogSeed.FingerprintAsync(api.Db));
    }

    [Fact]
    public async Task Stock_changes_that_would_go_below_zero_or_make_no_sense_are_refused()
    {
        var product = await _admin.CreateProductAsync(CatalogSeed.Product(variants: CatalogSeed.Variant(stock: 2)));
        var sku = product.Variants[0].Sku;
        var before = await CatalogSeed.FingerprintAsync(api.Db);
        await AssertRejectedAsync(await _admin.SendJsonAsync(HttpMethod.Post, $"/api/v1/admin/inventory/{sku}/adjustments", new { delta = -3, reason = "x" }), HttpStatusCode.Conflict, "delta");
        await AssertRejectedAsync(await _admin.SendJsonAsync(HttpMethod.Post, $"/api/v1/admin/inventory/{sku}/adjustments", new { delta = 0, reason = "x" }), HttpStatusCode.BadRequest, "delta");
        await AssertRejectedAsync(await _admin.SendJsonAsync(HttpMethod.Post, $"/api/v1/admin/inventory/{sku}/adjustments", new { delta = 1 }), HttpStatusCode.BadRequest, "reason");
        await AssertRejectedAsync(await _admin.SendJsonAsync(HttpMethod.Put, $"/api/v1/admin/inventory/{sku}", new { onHand = -1, reason = "x" }, "\"v1\""), HttpStatusCode.BadRequest, "onHand");
        await AssertRejectedAsync(await _admin.SendRawAsync(HttpMethod.Put, $"/api/v1/admin/inventory/{sku}", "{\"onHand\": 1e400, \"reason\": \"x\"}", "\"v1\""), HttpStatusCode.BadRequest, "$.onHand");
        Assert.Equal(before, await CatalogSeed.FingerprintAsync(api.Db));
    }

    [Theory]
    [InlineData("/api/v1/products?cursor=not-a-cursor", "cursor")]
    [InlineData("/api/v1/products?cursor=bmV3ZXN0CjEyMwp4eXo", "cursor")]
    [InlineData("/api/v1/products?limit=0", "limit")]
    [InlineData("/api/v1/products?limit=101", "limit")]
    [InlineData("/api/v1/products?sort=popularity", "sort")]
    [InlineData("/api/v1/products?minPrice=-5", "minPrice")]
    [InlineData("/api/v1/products?minPrice=500&maxPrice=100", "minPrice")]
    [InlineData("/api/v1/products?minPrice=abc", "minPrice")]
    [InlineData("/api/v1/products?inStock=maybe", "inStock")]
    [InlineData("/api/v1/products?category=no-such-category", "category")]
    [InlineData("/api/v1/products?category=x%27%20or%201%3D1--", "category")]
    [InlineData("/api/v1/catalog/changes?since=%%%", "since")]
    [InlineData("/api/v1/catalog/changes?since=bm90LWEtY3Vyc29y", "since")]
    [InlineData("/api/v1/catalog/changes?limit=5000", "limit")]
    public async Task Bad_query_values_are_400_problems_naming_the_parameter(string url, string field)
    {
        var response = await _public.GetAsync(url);
        await AssertRejectedAsync(response, HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task A_cursor_from_another_sort_is_refused()
    {
        await _admin.CreateProductAsync(CatalogSeed.Product());
        await _admin.CreateProductAsync(CatalogSeed.Product());
        var page = await (await _public.GetAsync("/api/v1/products?limit=1&sort=price_asc")).ReadAsync<Contracts.Catalog.ProductPage>();
        Assert.NotNull(page.NextCursor);
        await AssertRejectedAsync(await _public.GetAsync($"/api/v1/products?limit=1&sort=title&cursor={page.NextCursor}"), HttpStatusCode.BadRequest, "cursor");
    }
}
