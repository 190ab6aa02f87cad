using System.Diagnostics;
using Dapper;
using Headless.Contracts.Catalog;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Headless.Tests.Catalog;

/// <summary>A second API instance on the same database, to prove its cache hears about writes it did not make.</summary>
public sealed class SecondInstance(ApiFactory first) : Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Headless:Database:ConnectionString", first.ConnectionString);
        builder.UseSetting("Headless:Database:MigrationConnectionString", first.OwnerConnectionString);
        builder.UseSetting("Headless:Catalog:LoadDemoCatalog", "false");
    }
}

public sealed class CacheInvalidationTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (done(value) || clock.Elapsed > within)
            {
                return value;
            }
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Another_instance_serves_a_change_within_a_second_through_listen_notify()
    {
        var admin = api.Admin();
        var product = await admin.CreateProductAsync(CatalogSeed.Product(variants: CatalogSeed.Variant(price: 1000, stock: 4)));
        await using var other = new SecondInstance(api);
        var otherClient = other.CreateClient();
        var cached = await (await otherClient.GetAsync($"/api/v1/products/{product.Slug}")).ReadAsync<ProductDetail>();
        Assert.Equal(4, cached.Variants[0].Available);

        // A write straight in the database (as a checkout on a third instance would do) with its outbox event.
        await using (var conn = await api.Db.OpenConnectionAsync())
        await using (var tx = await conn.BeginTransactionAsync())
        {
            await conn.ExecuteAsync("update inventory set reserved = 4 where sku = @sku", new { sku = product.Variants[0].Sku }, tx);
            await conn.ExecuteAsync("insert into outbox (topic, aggregate_type, aggregate_id) values ('inventory.changed', 'product', @id)",
                new { id = product.Id.ToString() }, tx);
            await tx.CommitAsync();
        }

        var clock = Stopwatch.StartNew();
        var fresh = await EventuallyAsync(
            async () => await (await otherClient.GetAsync($"/api/v1/products/{product.Slug}")).ReadAsync<ProductDetail>(),
            p => p.Variants[0].Available == 0, TimeSpan.FromSeconds(5));
        Assert.Equal(0, fresh.Variants[0].Available);
        Assert.False(fresh.InStock);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.ElapsedMilliseconds} ms");
    }
}
