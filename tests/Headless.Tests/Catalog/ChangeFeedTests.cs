using Dapper;
using Headless.Contracts.Catalog;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Catalog;

public sealed class ChangeFeedTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _admin = api.Admin();
    private readonly HttpClient _public = api.CreateClient();

    private async Task<(List<CatalogChange> Changes, string Cursor)> DrainAsync(string? since)
    {
        var changes = new List<CatalogChange>();
        CatalogChangePage page;
        do
        {
            var url = "/api/v1/catalog/changes?limit=3" + (since is null ? "" : $"&since={since}");
            page = await (await _public.GetAsync(url)).ReadAsync<CatalogChangePage>();
            changes.AddRange(page.Changes);
            since = page.NextCursor;
        } while (page.HasMore);
        return (changes, since!);
    }

    /// <summary>Reads from <paramref name="since"/> until <paramref name="done"/> holds for the changes seen. The
    /// feed waits for every older transaction in the cluster (tests in other databases run at the same
    /// time), so a change can take a moment to become readable.</summary>
    private async Task<(List<CatalogChange> Changes, string Cursor)> ReadUntilAsync(string since, Func<List<CatalogChange>, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        var all = new List<CatalogChange>();
        var cursor = since;
        while (true)
        {
            var (changes, next) = await DrainAsync(cursor);
            all.AddRange(changes);
            cursor = next;
            if (done(all) || DateTime.UtcNow > deadline)
            {
                return (all, cursor);
            }
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task The_feed_lists_catalog_changes_in_order_and_resumes_from_a_cursor()
    {
        var (_, start) = await DrainAsync(null);
        var product = await _admin.CreateProductAsync(CatalogSeed.Product());
        await _admin.SendJsonAsync(HttpMethod.Post, $"/api/v1/admin/inventory/{product.Variants[0].Sku}/adjustments", new { delta = 5, reason = "delivery" });
        (await _admin.ArchiveProductAsync(product.Id)).EnsureSuccessStatusCode();
        var category = await _admin.CreateCategoryAsync(CatalogSeed.Unique("feed"));

        var ours = new[] { product.Id.ToString(), category.Id.ToString() };
        var (all, cursor) = await ReadUntilAsync(start, seen => seen.Any(c => c.EntityId == category.Id.ToString()));
        var changes = all.Where(c => ours.Contains(c.EntityId)).ToList();
        Assert.Equal(["product.created", "inventory.changed", "product.archived", "category.created"], changes.Select(c => c.Type));
        Assert.Equal([product.Id.ToString(), product.Id.ToString(), product.Id.ToString(), category.Id.ToString()], changes.Select(c => c.EntityId));
        Assert.Equal(all.Count, all.Select(c => c.Id).Distinct().Count());

        var (later, _) = await DrainAsync(cursor);
        Assert.DoesNotContain(later, c => ours.Contains(c.EntityId));
    }

    [Fact]
    public async Task A_transaction_that_commits_late_is_not_skipped()
    {
        var (_, start) = await DrainAsync(null);

        // The slow writer takes its outbox id and transaction id first, then commits after a faster writer.
        await using var slow = await api.Db.OpenConnectionAsync();
        await using var slowTx = await slow.BeginTransactionAsync();
        await slow.ExecuteAsync("insert into outbox (topic, aggregate_type, aggregate_id) values ('product.updated', 'product', 'slow')", transaction: slowTx);
        await using (var fast = await api.Db.OpenConnectionAsync())
        {
            await fast.ExecuteAsync("insert into outbox (topic, aggregate_type, aggregate_id) values ('product.updated', 'product', 'fast')");
        }

        var (whileOpen, cursor) = await DrainAsync(start);
        Assert.DoesNotContain(whileOpen, c => c.EntityId is "slow" or "fast");

        await slowTx.CommitAsync();
        var (afterCommit, _) = await ReadUntilAsync(cursor, seen => seen.Count(c => c.EntityId is "slow" or "fast") == 2);
        Assert.Equal(["slow", "fast"], afterCommit.Where(c => c.EntityId is "slow" or "fast").Select(c => c.EntityId));
    }

    [Fact]
    public async Task Events_that_are_not_about_the_catalog_stay_out_of_the_public_feed()
    {
        var (_, start) = await DrainAsync(null);
        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("insert into outbox (topic, aggregate_type, aggregate_id) values ('customer.registered', 'customer', 'c-1')");
            await conn.ExecuteAsync("insert into outbox (topic, aggregate_type, aggregate_id) values ('product.updated', 'product', 'after-customer')");
        }
        var (changes, _) = await ReadUntilAsync(start, seen => seen.Any(c => c.EntityId == "after-customer"));
        Assert.Contains(changes, c => c.EntityId == "after-customer");
        Assert.DoesNotContain(changes, c => c.EntityType == "customer");
    }
}
