using Headless.Sdk;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Contract;

/// <summary>Drives the running API through the committed, generated C# client, as a third party would.</summary>
public sealed class GeneratedClientTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private readonly HeadlessClient _admin = new(api.Admin());
    private readonly HeadlessClient _public = new(api.CreateClient());

    [Fact]
    public async Task A_merchant_builds_and_edits_a_catalog_and_a_shopper_reads_it()
    {
        var category = await _admin.CreateCategoryAsync(new CreateCategoryRequest { Slug = CatalogSeed.Unique("kitchen"), Name = "Kitchen" });
        var created = await _admin.CreateProductAsync(new CreateProductRequest
        {
            Slug = CatalogSeed.Unique("beeswax-wrap"),
            Title = "Beeswax Food Wrap",
            Status = "active",
            CategoryIds = [category.Id],
            Variants =
            [
                new CreateVariantRequest { Sku = CatalogSeed.Unique("BW-S"), Title = "Small", Options = new Dictionary<string, string> { ["size"] = "S" }, Price = new MoneyInput { Amount = 900, Currency = "EUR" }, WeightGrams = 40, InitialStock = 12 },
                new CreateVariantRequest { Sku = CatalogSeed.Unique("BW-L"), Title = "Large", Options = new Dictionary<string, string> { ["size"] = "L" }, Price = new MoneyInput { Amount = 1400, Currency = "EUR" }, WeightGrams = 70, InitialStock = 0 },
            ],
        });
        Assert.Equal(2, created.Variants.Count);

        var updated = await _admin.UpdateProductAsync(created.Id, new UpdateProductRequest { Title = "Beeswax Food Wraps" }, $"\"v{created.Version}\"");
        Assert.Equal(created.Version + 1, updated.Version);
        var stock = await _admin.AdjustStockAsync(created.Variants.First().Sku, new AdjustStockRequest { Delta = 3, Reason = "delivery" });
        Assert.Equal(15, stock.Available);

        var shown = await _public.GetProductAsync(created.Slug);
        Assert.Equal("Beeswax Food Wraps", shown.Title);
        Assert.Equal([15, 0], shown.Variants.Select(v => v.Available));
        var page = await _public.ListProductsAsync(category: category.Slug, sort: "price_asc");
        Assert.Equal(900, Assert.Single(page.Items).PriceFrom!.Amount);
        var tree = await _public.GetCategoryTreeAsync();
        Assert.Contains(tree.Categories, c => c.Slug == category.Slug);
        // The feed shows a change once no older transaction anywhere in the cluster is still open (its order is final):
        // with the suite's other tests writing at the same time, that can be a moment after the write.
        await Email.Eventually.WaitUntilAsync(async () => (await _public.GetCatalogChangesAsync()).Changes
            .Any(c => c.Type == "product.updated" && c.EntityId == created.Id.ToString()), TimeSpan.FromSeconds(15), "the feed shows the product's update");
    }

    [Fact]
    public async Task Problems_arrive_as_typed_exceptions()
    {
        var missing = await Assert.ThrowsAsync<ApiException<ProblemDetails>>(() => _public.GetProductAsync("no-such-product"));
        Assert.Equal(404, missing.StatusCode);
        Assert.Equal(404, missing.Result.Status);

        var invalid = await Assert.ThrowsAsync<ApiException<HttpValidationProblemDetails>>(() =>
            _admin.CreateProductAsync(new CreateProductRequest { Slug = "Bad Slug", Title = "" }));
        Assert.Equal(400, invalid.StatusCode);
        Assert.Contains("slug", invalid.Result.Errors!.Keys);
        Assert.Contains("title", invalid.Result.Errors!.Keys);

        var product = await _admin.CreateProductAsync(new CreateProductRequest { Slug = CatalogSeed.Unique("draft"), Title = "Draft", Status = "draft" });
        var stale = await Assert.ThrowsAsync<ApiException<ProblemDetails>>(() =>
            _admin.UpdateProductAsync(product.Id, new UpdateProductRequest { Title = "x" }, "\"v999\""));
        Assert.Equal(412, stale.StatusCode);
        var unauthorised = await Assert.ThrowsAsync<ApiException<ProblemDetails>>(() => _public.GetAdminProductAsync(product.Id));
        Assert.Equal(401, unauthorised.StatusCode);
    }
}
