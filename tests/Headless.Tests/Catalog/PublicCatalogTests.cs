using System.Net;
using System.Net.Http.Headers;
using Dapper;
using Headless.Contracts.Catalog;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Catalog;

public sealed class PublicCatalogTests(DemoApiFactory api) : IClassFixture<DemoApiFactory>
{
    private readonly HttpClient _client = api.CreateClient();

    private async Task<List<ProductSummary>> ReadAllAsync(string query)
    {
        var all = new List<ProductSummary>();
        string? cursor = null;
        do
        {
            var url = $"/api/v1/products?limit=37&{query}" + (cursor is null ? "" : $"&cursor={cursor}");
            var page = await (await _client.GetAsync(url)).ReadAsync<ProductPage>();
            Assert.InRange(page.Items.Count, cursor is null && page.NextCursor is null ? 0 : 1, 37);
            all.AddRange(page.Items);
            cursor = page.NextCursor;
        } while (cursor is not null);
        return all;
    }

    [Fact]
    public async Task The_demo_catalog_is_loaded_on_first_start()
    {
        await using var conn = await api.Db.OpenConnectionAsync();
        var counts = await conn.QuerySingleAsync<(long Products, long Variants, long Categories, long SoldOut)>("""
            select (select count(*) from products), (select count(*) from variants), (select count(*) from categories),
                   (select count(*) from products p where not exists (
                        select 1 from variants v join inventory i on i.sku = v.sku where v.product_id = p.id and i.on_hand > 0))
            """);
        Assert.True(counts.Products >= 200, $"{counts.Products} products");
        Assert.InRange(counts.Variants, 800, 1300);
        Assert.True(counts.Categories >= 10);
        Assert.True(counts.SoldOut >= 1, "some products are sold out");
    }

    [Theory]
    [InlineData("newest")]
    [InlineData("price_asc")]
    [InlineData("price_desc")]
    [InlineData("title")]
    public async Task Paging_through_a_sort_returns_every_active_product_once_in_order(string sort)
    {
        var all = await ReadAllAsync($"sort={sort}");
        await using var conn = await api.Db.OpenConnectionAsync();
        var active = await conn.ExecuteScalarAsync<long>("select count(*) from products where status = 'active' and min_price is not null");

        Assert.Equal(active, all.Count);
        Assert.Equal(all.Count, all.Select(p => p.Id).Distinct().Count());
        var ordered = sort switch
        {
            "price_asc" => all.OrderBy(p => p.PriceFrom!.Amount).ThenBy(p => p.Id).ToList(),
            "price_desc" => all.OrderByDescending(p => p.PriceFrom!.Amount).ThenByDescending(p => p.Id).ToList(),
            "title" => all.OrderBy(p => p.Title, StringComparer.Ordinal).ThenBy(p => p.Id).ToList(),
            _ => all.OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id).ToList(),
        };
        Assert.Equal(ordered.Select(p => p.Id), all.Select(p => p.Id));
    }

    [Fact]
    public async Task Filters_by_category_subtree_price_range_and_stock()
    {
        var tree = await (await _client.GetAsync("/api/v1/categories")).ReadAsync<CategoryTree>();
        var parent = tree.Categories.First(c => c.Children.Count > 0);
        var subtreeSlugs = Flatten(parent).Select(c => c.Slug).ToHashSet();

        var inParent = await ReadAllAsync($"category={parent.Slug}");
        Assert.NotEmpty(inParent);
        await using var conn = await api.Db.OpenConnectionAsync();
        foreach (var p in inParent)
        {
            var slugs = await conn.QueryAsync<string>(
                "select c.slug from product_categories pc join categories c on c.id = pc.category_id where pc.product_id = @id", new { id = p.Id });
            Assert.Contains(slugs, subtreeSlugs.Contains);
        }

        var cheap = await ReadAllAsync("minPrice=1000&maxPrice=2500");
        Assert.NotEmpty(cheap);
        Assert.All(cheap, p => Assert.InRange(p.PriceFrom!.Amount, 1000, 2500));

        var inStock = await ReadAllAsync("inStock=true");
        var all = await ReadAllAsync("");
        Assert.All(inStock, p => Assert.True(p.InStock));
        Assert.Equal(all.Count(p => p.InStock), inStock.Count);
        Assert.Contains(all, p => !p.InStock);
    }

    [Fact]
    public async Task A_product_is_served_by_slug_and_by_id_with_variants_and_live_availability()
    {
        var first = (await (await _client.GetAsync("/api/v1/products?limit=1")).ReadAsync<ProductPage>()).Items[0];
        var bySlug = await (await _client.GetAsync($"/api/v1/products/{first.Slug}")).ReadAsync<ProductDetail>();
        var byId = await (await _client.GetAsync($"/api/v1/products/{first.Id}")).ReadAsync<ProductDetail>();

        Assert.Equal(first.Id, bySlug.Id);
        Assert.Equal(bySlug.Id, byId.Id);
        Assert.NotEmpty(bySlug.Variants);
        await using var conn = await api.Db.OpenConnectionAsync();
        foreach (var v in bySlug.Variants)
        {
            var available = await conn.ExecuteScalarAsync<int>("select on_hand - reserved from inventory where sku = @sku", new { sku = v.Sku });
            Assert.Equal(available, v.Available);
            Assert.Equal(available > 0, v.InStock);
        }
    }

    [Fact]
    public async Task Drafts_are_not_public()
    {
        await using var conn = await api.Db.OpenConnectionAsync();
        var draft = await conn.QuerySingleAsync<(Guid Id, string Slug)>("select id, slug from products where status = 'draft' limit 1");

        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/api/v1/products/{draft.Slug}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/api/v1/products/{draft.Id}")).StatusCode);
        Assert.DoesNotContain(await ReadAllAsync(""), p => p.Id == draft.Id);
    }

    [Theory]
    [InlineData("/api/v1/products?limit=5")]
    [InlineData("/api/v1/categories")]
    [InlineData("/api/v1/catalog/changes")]
    public async Task Gets_carry_an_ETag_and_answer_304_to_If_None_Match(string url)
    {
        var first = await _client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);
        Assert.Contains("public", first.Headers.CacheControl!.ToString());

        var again = new HttpRequestMessage(HttpMethod.Get, url);
        again.Headers.IfNoneMatch.Add(etag);
        var second = await _client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Empty(await second.Content.ReadAsByteArrayAsync());

        var other = new HttpRequestMessage(HttpMethod.Get, url);
        other.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"something-else\""));
        Assert.Equal(HttpStatusCode.OK, (await _client.SendAsync(other)).StatusCode);
    }

    [Fact]
    public async Task The_product_ETag_changes_when_its_stock_changes()
    {
        var product = (await (await _client.GetAsync("/api/v1/products?limit=1&inStock=true")).ReadAsync<ProductPage>()).Items[0];
        var before = await _client.GetAsync($"/api/v1/products/{product.Slug}");
        var detail = await before.ReadAsync<ProductDetail>();
        var sku = detail.Variants.First(v => v.InStock).Sku;

        var admin = api.Admin();
        var adjusted = await admin.SendJsonAsync(HttpMethod.Post, $"/api/v1/admin/inventory/{sku}/adjustments", new { delta = -1, reason = "breakage" });
        Assert.Equal(HttpStatusCode.OK, adjusted.StatusCode);

        var after = await _client.GetAsync($"/api/v1/products/{product.Slug}");
        var updated = await after.ReadAsync<ProductDetail>();
        Assert.NotEqual(before.Headers.ETag, after.Headers.ETag);
        Assert.Equal(detail.Variants.First(v => v.Sku == sku).Available - 1, updated.Variants.First(v => v.Sku == sku).Available);
    }

    [Fact]
    public async Task Categories_come_as_a_tree_matching_the_table()
    {
        var tree = await (await _client.GetAsync("/api/v1/categories")).ReadAsync<CategoryTree>();
        var flat = tree.Categories.SelectMany(Flatten).ToList();
        await using var conn = await api.Db.OpenConnectionAsync();
        Assert.Equal(await conn.ExecuteScalarAsync<long>("select count(*) from categories"), flat.Count);
        Assert.All(tree.Categories, c => Assert.Null(c.ParentId));
        Assert.All(flat, c => Assert.All(c.Children, child => Assert.Equal(c.Id, child.ParentId)));
    }

    private static IEnumerable<CategoryNode> Flatten(CategoryNode node) => node.Children.SelectMany(Flatten).Prepend(node);
}
