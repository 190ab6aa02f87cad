using System.Net;
using System.Net.Http.Json;
using Dapper;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Admin;

/// <summary>SEO title and description, vendor, product type, option names and compare-at prices.</summary>
public sealed class AdminMerchandisingTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _admin = api.Admin();
    private readonly HttpClient _public = api.CreateClient();

    private static CreateVariantRequest Variant(long price, long? compareAt, Dictionary<string, string> options) =>
        new(CatalogSeed.Unique("SKU").ToUpperInvariant(), string.Join(" / ", options.Values), options, new MoneyInput(price, "EUR"), 300, 4,
            compareAt is { } was ? new MoneyInput(was, "EUR") : null);

    private static CreateProductRequest Product(params CreateVariantRequest[] variants) =>
        CatalogSeed.Product(variants: variants) with
        {
            SeoTitle = "Linen tote for the market",
            SeoDescription = "A washable linen tote that carries 15 kg.",
            Vendor = "Flax & Co",
            ProductType = "Bags",
            OptionNames = ["Size", "Colour"],
        };

    [Fact]
    public async Task Merchandising_fields_round_trip_through_create_get_update_and_the_public_product()
    {
        var created = await _admin.CreateProductAsync(Product(
            Variant(2000, 2600, new() { ["Size"] = "M", ["Colour"] = "Sand" }),
            Variant(2200, null, new() { ["Size"] = "L" })));
        Assert.Equal(("Linen tote for the market", "A washable linen tote that carries 15 kg.", "Flax & Co", "Bags"),
            (created.SeoTitle, created.SeoDescription, created.Vendor, created.ProductType));
        Assert.Equal(["Size", "Colour"], created.OptionNames!);
        Assert.Equal(new Money(2600, "EUR"), created.Variants[0].CompareAtPrice);
        Assert.Null(created.Variants[1].CompareAtPrice);

        var url = $"/api/v1/admin/products/{created.Id}";
        var updated = await (await _admin.SendJsonAsync(HttpMethod.Patch, url,
            new { seoTitle = "", vendor = "Flax and Co", optionNames = new[] { "Size", "Colour", "Material" } }, AdminIfMatch.ETag(created.Version)))
            .ReadAsync<ProductDetail>();
        Assert.Null(updated.SeoTitle);
        Assert.Equal("A washable linen tote that carries 15 kg.", updated.SeoDescription);
        Assert.Equal("Flax and Co", updated.Vendor);
        Assert.Equal(["Size", "Colour", "Material"], updated.OptionNames!);

        var variant = created.Variants[1];
        var priced = await (await _admin.SendJsonAsync(HttpMethod.Patch, $"{url}/variants/{variant.Id}",
            new { compareAtPrice = new { amount = 2500, currency = "EUR" }, options = new Dictionary<string, string> { ["Size"] = "L", ["Material"] = "Linen" } }, AdminIfMatch.ETag(variant.Version)))
            .ReadAsync<ProductVariant>();
        Assert.Equal(2500, priced.CompareAtPrice!.Amount);

        var shown = await (await _public.GetAsync($"/api/v1/products/{created.Slug}")).ReadAsync<ProductDetail>();
        Assert.Equal([2600L, 2500L], shown.Variants.Select(v => v.CompareAtPrice!.Amount));
        Assert.Equal("Flax and Co", shown.Vendor);

        var removed = await (await _admin.SendJsonAsync(HttpMethod.Patch, $"{url}/variants/{variant.Id}",
            new { removeCompareAtPrice = true }, AdminIfMatch.ETag(priced.Version))).ReadAsync<ProductVariant>();
        Assert.Null(removed.CompareAtPrice);
    }

    [Fact]
    public async Task Option_names_default_to_the_variants_option_keys_in_order_of_use()
    {
        var created = await _admin.CreateProductAsync(CatalogSeed.Product(variants:
            [Variant(1000, null, new() { ["Colour"] = "Red", ["Size"] = "S" }), Variant(1000, null, new() { ["Size"] = "M", ["Fit"] = "Slim" })]));
        Assert.Equal(["Colour", "Size", "Fit"], created.OptionNames!);
    }

    [Fact]
    public async Task A_compare_at_price_at_or_below_the_price_is_refused_with_nothing_written()
    {
        var before = await CatalogSeed.FingerprintAsync(api.Db);
        var response = await _admin.PostAsJsonAsync("/api/v1/admin/products", Product(Variant(2000, 2000, new() { ["Size"] = "M" })), Http.Json);
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("greater than the price", problem["errors"]!["variants[0].compareAtPrice"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await CatalogSeed.FingerprintAsync(api.Db));

        var created = await _admin.CreateProductAsync(Product(Variant(2000, 2400, new() { ["Size"] = "M" })));
        var variant = created.Variants[0];
        var url = $"/api/v1/admin/products/{created.Id}/variants/{variant.Id}";
        var below = await _admin.SendJsonAsync(HttpMethod.Patch, url, new { compareAtPrice = new { amount = 1500, currency = "EUR" } }, AdminIfMatch.ETag(variant.Version));
        Assert.NotNull((await below.ProblemAsync(HttpStatusCode.BadRequest))["errors"]!["compareAtPrice"]);
        // raising the price to the compare-at price would leave a "was" price that is no saving
        var raised = await _admin.SendJsonAsync(HttpMethod.Patch, url, new { price = new { amount = 2400, currency = "EUR" } }, AdminIfMatch.ETag(variant.Version));
        Assert.NotNull((await raised.ProblemAsync(HttpStatusCode.BadRequest))["errors"]!["price"]);
        var wrongCurrency = await _admin.SendJsonAsync(HttpMethod.Patch, url, new { compareAtPrice = new { amount = 9000, currency = "USD" } }, AdminIfMatch.ETag(variant.Version));
        await wrongCurrency.ProblemAsync(HttpStatusCode.BadRequest);

        var stored = await (await _admin.GetAsync($"/api/v1/admin/products/{created.Id}")).ReadAsync<ProductDetail>();
        Assert.Equal((2000L, 2400L, variant.Version), (stored.Variants[0].Price.Amount, stored.Variants[0].CompareAtPrice!.Amount, stored.Variants[0].Version));
    }

    [Fact]
    public async Task Variant_options_must_use_the_products_option_names()
    {
        var before = await CatalogSeed.FingerprintAsync(api.Db);
        var response = await _admin.PostAsJsonAsync("/api/v1/admin/products", Product(Variant(2000, null, new() { ["Size"] = "M", ["Flavour"] = "Mint" })), Http.Json);
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("'Flavour'", problem["errors"]!["variants[0].options"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await CatalogSeed.FingerprintAsync(api.Db));

        var created = await _admin.CreateProductAsync(Product(Variant(2000, null, new() { ["Size"] = "M" })));
        var added = await _admin.PostAsJsonAsync($"/api/v1/admin/products/{created.Id}/variants", Variant(2100, null, new() { ["Flavour"] = "Mint" }), Http.Json);
        Assert.NotNull((await added.ProblemAsync(HttpStatusCode.BadRequest))["errors"]!["options"]);

        var variant = created.Variants[0];
        var changed = await _admin.SendJsonAsync(HttpMethod.Patch, $"/api/v1/admin/products/{created.Id}/variants/{variant.Id}",
            new { options = new Dictionary<string, string> { ["Flavour"] = "Mint" } }, AdminIfMatch.ETag(variant.Version));
        await changed.ProblemAsync(HttpStatusCode.BadRequest);

        // dropping an option name that a variant still uses is refused too
        var dropped = await _admin.SendJsonAsync(HttpMethod.Patch, $"/api/v1/admin/products/{created.Id}",
            new { optionNames = new[] { "Colour" } }, AdminIfMatch.ETag(created.Version));
        Assert.NotNull((await dropped.ProblemAsync(HttpStatusCode.BadRequest))["errors"]!["optionNames"]);

        var duplicate = await _admin.SendJsonAsync(HttpMethod.Patch, $"/api/v1/admin/products/{created.Id}",
            new { optionNames = new[] { "Size", "Size" } }, AdminIfMatch.ETag(created.Version));
        await duplicate.ProblemAsync(HttpStatusCode.BadRequest);
        await using var conn = await api.Db.OpenConnectionAsync();
        Assert.Equal(created.Version, await conn.ExecuteScalarAsync<int>("select version from products where id = @id", new { id = created.Id }));
    }
}
