using System.Net;
using System.Net.Http.Json;
using Dapper;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Admin;

public sealed class AdminProductListTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _admin = api.Admin();

    /// <summary>Five products whose titles share a token (so `q` isolates them from other tests' rows):
    /// prices, stock and status differ.</summary>
    private async Task<(string Token, List<ProductDetail> Products, CategoryNode Category)> SeedAsync()
    {
        var token = "zq" + Guid.NewGuid().ToString("N")[..8];
        var category = await _admin.CreateCategoryAsync(CatalogSeed.Unique("list"));
        var specs = new (string Title, long Price, int Stock, string Status)[]
        {
            ("Cedar Soap", 900, 40, "active"),
            ("Almond Oil", 2500, 0, "active"),
            ("Beeswax Wrap", 1500, 3, "active"),
            ("Draft Candle", 1200, 12, "draft"),
            ("Elder Tea", 700, 25, "active"),
        };
        var products = new List<ProductDetail>();
        foreach (var (title, price, stock, status) in specs)
        {
            var request = CatalogSeed.Product(status: status, categories: title.StartsWith('B') ? [category.Id] : [],
                variants: [CatalogSeed.Variant(price: price, stock: stock)]) with
            { Title = $"{title} {token}" };
            products.Add(await _admin.CreateProductAsync(request));
        }
        return (token, products, category);
    }

    private async Task<List<AdminProductRow>> AllAsync(string query, int limit = 2)
    {
        var rows = new List<AdminProductRow>();
        string? cursor = null;
        do
        {
            var page = await (await _admin.GetAsync($"/api/v1/admin/products?{query}&limit={limit}" + (cursor is null ? "" : $"&cursor={cursor}")))
                .ReadAsync<AdminProductPage>();
            Assert.True(page.Items.Count <= limit);
            rows.AddRange(page.Items);
            cursor = page.NextCursor;
        } while (cursor is not null);
        return rows;
    }

    private static List<string> Titles(IEnumerable<AdminProductRow> rows) => rows.Select(r => r.Title.Split(' ')[0]).ToList();

    [Fact]
    public async Task Every_sort_in_both_directions_pages_through_every_match_once_in_order()
    {
        var (token, _, _) = await SeedAsync();

        Assert.Equal(["Elder", "Draft", "Beeswax", "Almond", "Cedar"], Titles(await AllAsync($"q={token}")));
        Assert.Equal(["Cedar", "Almond", "Beeswax", "Draft", "Elder"], Titles(await AllAsync($"q={token}&order=asc")));
        Assert.Equal(["Almond", "Beeswax", "Cedar", "Draft", "Elder"], Titles(await AllAsync($"q={token}&sort=title")));
        Assert.Equal(["Elder", "Draft", "Cedar", "Beeswax", "Almond"], Titles(await AllAsync($"q={token}&sort=title&order=desc")));
        Assert.Equal(["Elder", "Cedar", "Draft", "Beeswax", "Almond"], Titles(await AllAsync($"q={token}&sort=price")));
        Assert.Equal(["Almond", "Beeswax", "Draft", "Elder", "Cedar"], Titles(await AllAsync($"q={token}&sort=stock", limit: 3)));
        Assert.Equal(["Cedar", "Elder", "Draft", "Beeswax", "Almond"], Titles(await AllAsync($"q={token}&sort=stock&order=desc", limit: 1)));
    }

    [Fact]
    public async Task Rows_carry_status_price_range_stock_variant_count_and_version()
    {
        var (token, products, _) = await SeedAsync();
        var cedar = products[0];
        await _admin.PostAsync($"/api/v1/admin/products/{cedar.Id}/variants",
            System.Net.Http.Json.JsonContent.Create(CatalogSeed.Variant(price: 1900, stock: 5, size: "L"), options: Http.Json));

        var row = Assert.Single(await AllAsync($"q=Cedar%20Soap%20{token}"));
        Assert.Equal((cedar.Id, cedar.Slug, "active"), (row.Id, row.Slug, row.Status));
        Assert.Equal((900L, 1900L, "EUR"), (row.Price!.Min.Amount, row.Price.Max.Amount, row.Price.Min.Currency));
        Assert.Equal((45, 2, cedar.Version + 1), (row.TotalAvailable, row.VariantCount, row.Version));
        Assert.Equal("/images/tote.jpg", row.Image!.Url);
    }

    [Fact]
    public async Task Filters_by_status_category_stock_and_sku()
    {
        var (token, products, category) = await SeedAsync();

        Assert.Equal(["Draft"], Titles(await AllAsync($"q={token}&status=draft")));
        Assert.Equal(["Beeswax"], Titles(await AllAsync($"q={token}&categoryId={category.Id}")));
        Assert.Equal(["Almond"], Titles(await AllAsync($"q={token}&stock=sold_out")));
        Assert.Equal(["Elder", "Draft", "Beeswax", "Cedar"], Titles(await AllAsync($"q={token}&stock=in_stock")));
        // at or below the default threshold of 5: Beeswax (3) and the sold-out Almond
        Assert.Equal(["Beeswax", "Almond"], Titles(await AllAsync($"q={token}&stock=low")));

        var sku = products[4].Variants[0].Sku;
        Assert.Equal(["Elder"], Titles(await AllAsync($"q={sku[2..^2]}")));
        Assert.Empty(await AllAsync("q=%25%25nothing_like_this%25"));
    }

    [Fact]
    public async Task A_category_filter_includes_the_products_of_its_sub_categories_at_any_depth()
    {
        var token = "zc" + Guid.NewGuid().ToString("N")[..8];
        var parent = await _admin.CreateCategoryAsync(CatalogSeed.Unique("parent"));
        var child = await _admin.CreateCategoryAsync(CatalogSeed.Unique("child"), parent.Id);
        var grandchild = await _admin.CreateCategoryAsync(CatalogSeed.Unique("grandchild"), child.Id);
        var sibling = await _admin.CreateCategoryAsync(CatalogSeed.Unique("sibling"));
        foreach (var (title, category, status) in new[] { ("Anvil", parent, "active"), ("Bellows", child, "draft"), ("Chisel", grandchild, "active"), ("Dowel", sibling, "active") })
        {
            await _admin.CreateProductAsync(CatalogSeed.Product(status: status, categories: [category.Id]) with { Title = $"{title} {token}" });
        }

        Assert.Equal(["Anvil", "Bellows", "Chisel"], Titles(await AllAsync($"q={token}&categoryId={parent.Id}&sort=title")));
        Assert.Equal(["Bellows", "Chisel"], Titles(await AllAsync($"q={token}&categoryId={child.Id}&sort=title")));
        Assert.Equal(["Chisel"], Titles(await AllAsync($"q={token}&categoryId={grandchild.Id}")));
        Assert.Equal(["Bellows"], Titles(await AllAsync($"q={token}&categoryId={parent.Id}&status=draft")));
    }

    [Fact]
    public async Task Search_finds_a_title_word_slug_vendor_or_sku_fragment_in_any_case_and_follows_renames_at_once()
    {
        var token = "zs" + Guid.NewGuid().ToString("N")[..8];
        var sku = $"SRCH-{token}-BLUE".ToUpperInvariant();
        var request = CatalogSeed.Product(slug: $"linen-apron-{token}", variants: CatalogSeed.Variant(sku: sku)) with
        { Title = $"Heavy Linen Apron {token}", Vendor = $"Weaver{token}" };
        var product = await _admin.CreateProductAsync(request);
        var url = $"/api/v1/admin/products/{product.Id}";

        Assert.Equal(product.Id, Assert.Single(await AllAsync($"q=LINEN%20APRON%20{token}")).Id);
        Assert.Equal(product.Id, Assert.Single(await AllAsync($"q=apron-{token}")).Id);
        Assert.Equal(product.Id, Assert.Single(await AllAsync($"q=weaver{token}")).Id);
        Assert.Equal(product.Id, Assert.Single(await AllAsync($"q={token}-blue")).Id);

        // a new variant's SKU, a new slug and a renamed SKU are found by the very next request
        var added = await (await _admin.PostAsJsonAsync($"{url}/variants", CatalogSeed.Variant(sku: $"ADDED-{token}", size: "L"), Http.Json))
            .ReadAsync<ProductVariant>(HttpStatusCode.Created);
        Assert.Equal(product.Id, Assert.Single(await AllAsync($"q=added-{token}")).Id);
        var renamed = await _admin.SendJsonAsync(HttpMethod.Patch, url, new { slug = $"apron-renamed-{token}" }, await _admin.ETagOfAsync(url));
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        Assert.Equal(product.Id, Assert.Single(await AllAsync($"q=apron-renamed-{token}")).Id);
        Assert.Empty(await AllAsync($"q=linen-apron-{token}"));
        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            // No route renames a SKU (stock and its ledger refer to it); a data fix in SQL can, on a variant
            // without stock, and the search text follows in the same transaction.
            await conn.ExecuteAsync("""
                insert into variants (id, product_id, sku, title, options, price_amount, currency, weight_grams)
                values (@id, @productId, @sku, 'XL', '{"size":"XL"}', 1500, 'EUR', 250)
                """, new { id = Guid.CreateVersion7(), productId = product.Id, sku = $"NOSTOCK-{token}" });
            Assert.Equal(product.Id, Assert.Single(await AllAsync($"q=nostock-{token}")).Id);
            await using var tx = await conn.BeginTransactionAsync();
            await conn.ExecuteAsync("update variants set sku = @renamed where sku = @sku", new { sku = $"NOSTOCK-{token}", renamed = $"SKUFIX-{token}" }, tx);
            Assert.Equal(1, await conn.ExecuteScalarAsync<int>("select count(*) from products where search_text like @p", new { p = $"%skufix-{token}%" }, tx));
            await tx.CommitAsync();
        }
        Assert.Equal(product.Id, Assert.Single(await AllAsync($"q=SkuFix-{token}")).Id);
        Assert.Empty(await AllAsync($"q=nostock-{token}"));
        Assert.Equal(product.Id, Assert.Single(await AllAsync($"q=added-{token}")).Id);
    }

    [Fact]
    public async Task Stock_changes_and_sales_move_the_stock_sort_and_filters_without_touching_the_version()
    {
        var (token, products, _) = await SeedAsync();
        var almond = products[1];
        var sku = almond.Variants[0].Sku;
        await (await _admin.SendJsonAsync(HttpMethod.Post, $"/api/v1/admin/inventory/{sku}/adjustments", new AdjustStockRequest(30, "delivery")))
            .ReadAsync<StockLevel>();

        Assert.Empty(await AllAsync($"q={token}&stock=sold_out"));
        var row = Assert.Single(await AllAsync($"q=Almond%20Oil%20{token}"));
        Assert.Equal((30, false, almond.Version), (row.TotalAvailable, row.LowStock, row.Version));
        Assert.Equal("Almond", Titles(await AllAsync($"q={token}&sort=stock&order=desc"))[1]);
    }

    [Theory]
    [InlineData("sort=newest", "sort")]
    [InlineData("order=up", "order")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=101", "limit")]
    [InlineData("status=deleted", "status")]
    [InlineData("stock=plenty", "stock")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    [InlineData("categoryId=not-a-guid", "categoryId")]
    [InlineData("limit=ten", "limit")]
    public async Task Bad_query_values_are_a_400_problem_naming_the_parameter(string query, string field)
    {
        var problem = await (await _admin.GetAsync($"/api/v1/admin/products?{query}")).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]![field]);
    }

    [Fact]
    public async Task A_cursor_from_another_sort_is_refused()
    {
        var (token, _, _) = await SeedAsync();
        var page = await (await _admin.GetAsync($"/api/v1/admin/products?q={token}&sort=title&limit=1")).ReadAsync<AdminProductPage>();
        var problem = await (await _admin.GetAsync($"/api/v1/admin/products?q={token}&sort=price&limit=1&cursor={page.NextCursor}"))
            .ProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["cursor"]);
        var desc = await _admin.GetAsync($"/api/v1/admin/products?q={token}&sort=title&order=desc&limit=1&cursor={page.NextCursor}");
        await desc.ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_list_uses_an_index_on_a_large_catalog_for_each_sort()
    {
        // 20,000 extra products are enough for the planner to prefer the indexes it would use at 100,000.
        await using var conn = await api.Db.OpenConnectionAsync();
        await conn.ExecuteAsync("""
            insert into products (id, slug, title, status, min_price, in_stock, low_stock, updated_at)
            select gen_random_uuid(), 'bulk-' || n, 'Bulk product ' || n, (array['draft','active','archived'])[1 + n % 3],
                   100 + n % 5000, n % 50 > 0, n % 50 < 3, now() - make_interval(secs => n)
            from generate_series(1, 20000) n;
            update product_stock s set available_total = substr(p.slug, 6)::int % 50
            from products p where p.id = s.product_id and p.slug like 'bulk-%';
            analyze products;
            analyze product_stock;
            """);
        foreach (var order in new[] { "p.updated_at desc, p.id desc", "p.title, p.id", "coalesce(p.min_price, -1), p.id", "s.available_total desc, s.product_id desc" })
        {
            var plan = string.Join("\n", await conn.QueryAsync<string>(
                $"explain select p.id from products p join product_stock s on s.product_id = p.id order by {order} limit 26"));
            Assert.DoesNotContain("Sort", plan.Replace("Sort Key", "", StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.Contains("Index", plan, StringComparison.Ordinal);
        }
    }
}
