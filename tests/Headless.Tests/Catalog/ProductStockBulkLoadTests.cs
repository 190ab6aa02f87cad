using Headless.Tests.Infrastructure;
using Headless.Tests.Webhooks;

namespace Headless.Tests.Catalog;

/// <summary>The demo catalog's bulk load (COPY with headless.stock_bulk, then stock_bulk_loaded) leaves every product
/// with its product_stock row and flags that match its inventory (migration 0040).</summary>
public sealed class ProductStockBulkLoadTests(DemoApiFactory api) : IClassFixture<DemoApiFactory>
{
    [Fact]
    public async Task Every_loaded_product_has_its_exact_count_and_matching_flags()
    {
        using var _ = api.CreateClient(); // starts the host, which loads the demo catalog
        Assert.True(await api.Db.ScalarAsync<long>("select count(*) from products p join product_stock s on s.product_id = p.id where p.in_stock") > 0);
        var wrong = await api.Db.ScalarAsync<long>("""
            select count(*) from products p
            left join product_stock s on s.product_id = p.id
            cross join lateral (select coalesce(sum(greatest(i.on_hand - i.reserved, 0)), 0)::int as total,
                                       coalesce(bool_or(i.on_hand - i.reserved <= i.low_stock_threshold), false) as low
                                from variants v join inventory i on i.sku = v.sku
                                where v.product_id = p.id and v.status = 'active') e
            where s.product_id is null or s.available_total <> e.total or s.low_stock <> e.low
               or p.in_stock <> (e.total > 0) or p.low_stock <> e.low
               -- what the previous release reads during a deploy
               or (p.available_total > 0) <> p.in_stock
            """);
        Assert.Equal(0, wrong);
    }
}
