using System.Net;
using System.Net.Http.Json;
using Dapper;
using Headless.Contracts.Admin;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Admin;

public sealed class BulkProductJobTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _admin = api.Admin();

    /// <summary>Products straight in SQL (1,000 through the API would take most of the test): one active
    /// variant each, prices 1, 15 and 1000+n so rounding and the floor of 1 are exercised.</summary>
    private async Task<(string Token, List<(Guid Id, long Price)> Products)> SeedAsync(int count)
    {
        var token = "bulk" + Guid.NewGuid().ToString("N")[..8];
        await using var conn = await api.Db.OpenConnectionAsync();
        await conn.ExecuteAsync("""
            with p as (
                insert into products (id, slug, title, status, option_names)
                select gen_random_uuid(), @token || '-' || n, 'Bulk ' || @token || ' ' || n, 'active', '{size}'
                from generate_series(1, @count) n
                returning id, slug),
            v as (
                insert into variants (id, product_id, sku, title, options, price_amount, currency, weight_grams)
                select gen_random_uuid(), p.id, upper(p.slug), 'M', '{"size":"M"}',
                       case split_part(p.slug, '-', 2)::int when 1 then 1 when 2 then 15 else 1000 + split_part(p.slug, '-', 2)::int end, 'EUR', 100
                from p
                returning sku, product_id, price_amount)
            insert into inventory (sku, on_hand) select sku, 10 from v;
            update products p set min_price = (select min(price_amount) from variants where product_id = p.id) where slug like @token || '-%';
            """, new { token, count });
        var products = (await conn.QueryAsync<(Guid, long)>("""
            select p.id, v.price_amount from products p join variants v on v.product_id = p.id where p.slug like @token || '-%' order by p.id
            """, new { token })).ToList();
        return (token, products);
    }

    private async Task<Job> StartAsync(object body)
    {
        var response = await _admin.PostAsJsonAsync("/api/v1/admin/products/bulk-jobs", body, Http.Json);
        var job = await response.ReadAsync<Job>(HttpStatusCode.Accepted);
        Assert.Equal($"/api/v1/admin/jobs/{job.Id}", response.Headers.Location!.OriginalString);
        return job;
    }

    private async Task<Job> WaitAsync(Guid id, Func<Job, bool> until)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            var job = await (await _admin.GetAsync($"/api/v1/admin/jobs/{id}")).ReadAsync<Job>();
            if (until(job))
            {
                return job;
            }
            Assert.True(DateTime.UtcNow < deadline, $"Job {id} is still {job.Status} ({job.Processed}/{job.Total}).");
            await Task.Delay(100);
        }
    }

    private static bool Finished(Job job) => job.Status is "succeeded" or "failed" or "cancelled";

    private static long TenPercentOff(long price) => Math.Max(1, (long)Math.Round(price * 0.9m, MidpointRounding.AwayFromZero));

    private async Task<Dictionary<Guid, long>> PricesAsync(string token)
    {
        await using var conn = await api.Db.OpenConnectionAsync();
        return (await conn.QueryAsync<(Guid Id, long Price)>(
            "select p.id, v.price_amount from products p join variants v on v.product_id = p.id where p.slug like @token || '-%'", new { token }))
            .ToDictionary(r => r.Id, r => r.Price);
    }

    [Fact]
    public async Task Ten_percent_off_all_matching_products_sets_every_price_with_one_audit_row_and_event_each()
    {
        var (token, products) = await SeedAsync(1000);

        var job = await WaitAsync((await StartAsync(new { filter = new { q = token }, action = "change_price_percent", percent = -10 })).Id, Finished);

        Assert.Equal(("succeeded", 1000, 1000, 0), (job.Status, job.Total, job.Processed, job.Failed));
        var prices = await PricesAsync(token);
        Assert.All(products, p => Assert.Equal(TenPercentOff(p.Price), prices[p.Id]));
        Assert.Equal(14, prices[products.Single(p => p.Price == 15).Id]);
        Assert.Equal(1, prices[products.Single(p => p.Price == 1).Id]);

        await using var conn = await api.Db.OpenConnectionAsync();
        var ids = products.Select(p => p.Id.ToString()).ToArray();
        // the product priced 1 stays at 1: nothing to write, no audit row
        Assert.Equal(999, await conn.ExecuteScalarAsync<int>(
            "select count(distinct entity_id) from audit_log where action = 'product.bulk_updated' and entity_id = any(@ids)", new { ids }));
        Assert.Equal(999, await conn.ExecuteScalarAsync<int>(
            "select count(*) from audit_log where action = 'product.bulk_updated' and entity_id = any(@ids)", new { ids }));
        Assert.Equal(999, await conn.ExecuteScalarAsync<int>(
            "select count(*) from outbox where topic = 'variant.updated' and aggregate_id = any(@ids)", new { ids }));
        var audit = await conn.QuerySingleAsync<(string Before, string After)>(
            "select before::text, after::text from audit_log where action = 'product.bulk_updated' and entity_id = @id",
            new { id = products.Single(p => p.Price == 15).Id.ToString() });
        Assert.Contains("\"amount\": 15", audit.Before, StringComparison.Ordinal);
        Assert.Contains("\"amount\": 14", audit.After, StringComparison.Ordinal);
        // the listing sort key follows the new price
        Assert.Equal(TenPercentOff(1013), await conn.ExecuteScalarAsync<long>(
            "select min_price from products where slug = @slug", new { slug = token + "-13" }));
    }

    [Fact]
    public async Task Cancelling_stops_the_job_part_way_and_leaves_the_rest_unchanged()
    {
        var (token, products) = await SeedAsync(600);
        var blocker = products[200].Id;
        await using var conn = await api.Db.OpenConnectionAsync();
        await using var hold = await conn.BeginTransactionAsync();
        // the job waits at product 201 (in id order) while this transaction holds its row
        await conn.ExecuteAsync("select 1 from products where id = @blocker for update", new { blocker }, hold);

        var started = await StartAsync(new { productIds = products.Select(p => p.Id), action = "change_price_percent", percent = -10 });
        await WaitAsync(started.Id, j => j.Processed >= 200);
        await (await _admin.PostAsync($"/api/v1/admin/jobs/{started.Id}/cancellation", null)).ReadAsync<Job>(HttpStatusCode.Accepted);
        await WaitAsync(started.Id, j => j.CancelRequested);
        await hold.RollbackAsync();

        var job = await WaitAsync(started.Id, Finished);
        Assert.Equal("cancelled", job.Status);
        var prices = await PricesAsync(token);
        // the one product priced 1 cannot go lower, so whether the job reached it shows in nothing: leave it out
        var priced = products.Where(p => p.Price > 1).ToList();
        var changed = priced.Select(p => prices[p.Id] != p.Price).ToList();
        var reached = changed.TakeWhile(c => c).Count();
        Assert.InRange(reached, 199, 598);
        Assert.All(changed.Skip(reached), Assert.False);
        Assert.InRange(job.Processed, reached, reached + 1);
        Assert.True(job.Processed < 600);
    }

    [Fact]
    public async Task Stock_and_status_changes_follow_the_rules_and_report_the_products_they_cannot_change()
    {
        var (token, products) = await SeedAsync(3);
        await using var conn = await api.Db.OpenConnectionAsync();
        await conn.ExecuteAsync("update inventory set reserved = 8 where sku = upper(@slug)", new { slug = token + "-2" });

        var job = await WaitAsync((await StartAsync(new { filter = new { q = token }, action = "set_stock", quantity = 5, reason = "recount" })).Id, Finished);
        Assert.Equal(("succeeded", 3, 2, 1), (job.Status, job.Processed, job.Succeeded, job.Failed));
        var error = Assert.Single(job.Errors);
        Assert.Contains("reserved", error.Message, StringComparison.Ordinal);
        Assert.Equal([5, 10, 5], await conn.QueryAsync<int>(
            "select on_hand from inventory where sku like upper(@token) || '-%' order by split_part(sku, '-', 2)::int", new { token }));
        Assert.Equal(2, await conn.ExecuteScalarAsync<int>(
            "select count(*) from stock_movements where sku like upper(@token) || '-%' and reason = 'bulk: recount'", new { token }));

        var drafted = await WaitAsync((await StartAsync(new { productIds = products.Select(p => p.Id), action = "set_status", status = "draft" })).Id, Finished);
        Assert.Equal(3, drafted.Succeeded);
        Assert.Equal(3, await conn.ExecuteScalarAsync<int>("select count(*) from products where slug like @token || '-%' and status = 'draft'", new { token }));
    }

    [Theory]
    [InlineData("{\"action\":\"set_status\",\"status\":\"draft\"}", "productIds")]
    [InlineData("{\"productIds\":[],\"action\":\"set_status\",\"status\":\"draft\"}", "productIds")]
    [InlineData("{\"filter\":{},\"action\":\"explode\"}", "action")]
    [InlineData("{\"filter\":{},\"action\":\"change_price_percent\",\"percent\":-100}", "percent")]
    [InlineData("{\"filter\":{},\"action\":\"set_price\"}", "amount")]
    [InlineData("{\"filter\":{\"stock\":\"lots\"},\"action\":\"set_status\",\"status\":\"draft\"}", "filter.stock")]
    [InlineData("{\"filter\":{},\"action\":\"adjust_stock\",\"quantity\":3}", "reason")]
    [InlineData("{\"filter\":{},\"action\":\"add_category\",\"categoryId\":\"0190a000-0000-7000-8000-000000000000\"}", "categoryId")]
    public async Task A_bad_request_is_a_400_problem_and_queues_nothing(string body, string field)
    {
        await using var conn = await api.Db.OpenConnectionAsync();
        var before = await conn.ExecuteScalarAsync<long>("select count(*) from jobs");
        var response = await _admin.PostAsync("/api/v1/admin/products/bulk-jobs", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]![field]);
        Assert.Equal(before, await conn.ExecuteScalarAsync<long>("select count(*) from jobs"));
    }
}
