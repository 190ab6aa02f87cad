using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Jobs;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;
using Npgsql;

namespace Headless.Api.Features.Catalog.Admin;

/// <summary>
/// Runs a bulk product change (StartBulkProductJob queues it). Each product changes in its own short
/// transaction with its audit row and outbox event, so caches, search and the storefront follow product by
/// product, a failure touches only its product, and a cancellation leaves every product not yet reached
/// exactly as it was. A product the change does not apply to (already in that status, that price) is
/// counted as done without a write.
/// </summary>
public sealed class BulkProductJob(NpgsqlDataSource db, CatalogCache cache) : IJobHandler
{
    public const string JobKind = "product-bulk";
    private const int SelectionPage = 500;

    public string Kind => JobKind;

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var input = context.Input(ApiJsonContext.Default.BulkProductJobRequest);
        var actor = new Actor(context.CreatedBy, null, Activity.Current?.TraceId.ToString());
        var (changed, unchanged, failed) = (0, 0, 0);
        await foreach (var id in SelectAsync(context, input, ct))
        {
            if (context.CancellationRequested || context.Lost)
            {
                break;
            }
            var outcome = await ApplyAsync(id, input, actor, context.JobId, ct);
            if (outcome.Error is { } error)
            {
                failed++;
                await context.ReportAsync(0, 1, [new JobError(null, null, id.ToString(), error)], ct);
                continue;
            }
            _ = outcome.Changed ? changed++ : unchanged++;
            await context.ReportAsync(1, ct: ct);
        }
        context.Result = new JsonObject { ["action"] = input.Action, ["changed"] = changed, ["unchanged"] = unchanged, ["failed"] = failed };
    }

    /// <summary>The selected ids in id order: the given list, or every product matching the filter when the
    /// job starts, read a page at a time by id (the job's own changes cannot make it skip or repeat one).</summary>
    private async IAsyncEnumerable<Guid> SelectAsync(JobContext context, BulkProductJobRequest input, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        if (input.ProductIds is { } ids)
        {
            context.SetTotal(ids.Count);
            foreach (var id in ids.Order())
            {
                yield return id;
            }
            yield break;
        }
        var f = input.Filter!;
        var where = ListAdminProducts.FilterSql(f.Q, f.Status, f.CategoryId, f.Stock);
        var args = new DynamicParameters(new { pattern = f.Q is null ? null : AdminListCursor.Contains(f.Q), status = f.Status, categoryId = f.CategoryId });
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            context.SetTotal(await conn.ExecuteScalarAsync<int>(new CommandDefinition($"select count(*)::int from products p where true {where}", args, cancellationToken: ct)));
        }
        var after = Guid.Empty;
        while (true)
        {
            args.Add("after", after);
            args.Add("take", SelectionPage);
            List<Guid> page;
            await using (var conn = await db.OpenConnectionAsync(ct))
            {
                page = (await conn.QueryAsync<Guid>(new CommandDefinition(
                    $"select p.id from products p where p.id > @after {where} order by p.id limit @take", args, cancellationToken: ct))).ToList();
            }
            foreach (var id in page)
            {
                yield return id;
            }
            if (page.Count < SelectionPage)
            {
                yield break;
            }
            after = page[^1];
        }
    }

    private sealed record Outcome(bool Changed, string? Error)
    {
        public static readonly Outcome Same = new(false, null);
        public static readonly Outcome Done = new(true, null);

        public static Outcome Fail(string error) => new(false, error);
    }

    private async Task<Outcome> ApplyAsync(Guid id, BulkProductJobRequest input, Actor actor, Guid jobId, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var log = new WriteLog(conn, tx, actor);
        var current = await ProductWrites.LockAsync(log, id);
        if (current is null)
        {
            return Outcome.Fail("No product has this id.");
        }
        var before = (await ProductWrites.LoadAsync(log, id))!;
        string topic;
        try
        {
            (var outcome, topic) = await ChangeAsync(log, before, input);
            if (outcome != Outcome.Done)
            {
                await tx.RollbackAsync(ct);
                return outcome;
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.CheckViolation && e.ConstraintName?.Contains("compare_at", StringComparison.Ordinal) == true)
        {
            await tx.RollbackAsync(CancellationToken.None);
            return Outcome.Fail("The new price would be at or above a variant's compare-at price; change or remove the compare-at price first.");
        }
        var after = (await ProductWrites.LoadAsync(log, id))!;
        await log.EventAsync(topic, "product", id.ToString(), new JsonObject { ["slug"] = after.Slug, ["job"] = jobId.ToString() });
        await log.AuditAsync("product.bulk_updated", "product", id.ToString(), ProductWrites.Json(before),
            AuditAfter(after, input, jobId));
        await tx.CommitAsync(ct);
        cache.InvalidateProduct(id);
        return Outcome.Done;
    }

    private static string AuditAfter(ProductDetail after, BulkProductJobRequest input, Guid jobId)
    {
        var node = JsonSerializer.SerializeToNode(after, ApiJsonContext.Default.ProductDetail)!.AsObject();
        node["bulkJob"] = new JsonObject { ["id"] = jobId.ToString(), ["action"] = input.Action };
        return node.ToJsonString();
    }

    /// <returns>Done after a write, Same when nothing needed changing, or a failure (the caller rolls back).</returns>
    private static async Task<(Outcome, string Topic)> ChangeAsync(WriteLog log, ProductDetail product, BulkProductJobRequest input)
    {
        var (conn, tx, id) = (log.Connection, log.Transaction, product.Id);
        var active = product.Variants.Where(v => v.Status == "active").ToList();
        switch (input.Action)
        {
            case "set_status":
                if (product.Status == input.Status)
                {
                    return (Outcome.Same, "");
                }
                if (input.Status == "active" && active.Count == 0)
                {
                    return (Outcome.Fail("An active product needs at least one active variant."), "");
                }
                await conn.ExecuteAsync("update products set status = @status, version = version + 1, updated_at = now() where id = @id",
                    new { id, status = input.Status }, tx);
                return (Outcome.Done, input.Status == "archived" ? "product.archived" : "product.updated");

            case "add_category":
                if (product.Categories.Any(c => c.Id == input.CategoryId))
                {
                    return (Outcome.Same, "");
                }
                if (product.Categories.Count >= 10)
                {
                    return (Outcome.Fail("The product already has 10 categories, the most it may have."), "");
                }
                await conn.ExecuteAsync("""
                    insert into product_categories (product_id, category_id) values (@id, @categoryId);
                    update products set version = version + 1, updated_at = now() where id = @id;
                    """, new { id, categoryId = input.CategoryId }, tx);
                return (Outcome.Done, "product.updated");

            case "remove_category":
                if (product.Categories.All(c => c.Id != input.CategoryId))
                {
                    return (Outcome.Same, "");
                }
                await conn.ExecuteAsync("""
                    delete from product_categories where product_id = @id and category_id = @categoryId;
                    update products set version = version + 1, updated_at = now() where id = @id;
                    """, new { id, categoryId = input.CategoryId }, tx);
                return (Outcome.Done, "product.updated");

            case "set_price" or "change_price_percent":
                if (active.Count == 0)
                {
                    return (Outcome.Same, "");
                }
                // numeric arithmetic; round() takes halves away from zero; never below 1 minor unit
                var newPrice = input.Action == "set_price" ? "@amount::bigint" : "greatest(1, round(price_amount * (100 + @percent::numeric) / 100))::bigint";
                var prices = (await conn.QueryAsync<long>($"""
                    update variants set price_amount = {newPrice}, version = version + 1, updated_at = now()
                    where product_id = @id and status = 'active' and price_amount <> {newPrice}
                    returning price_amount
                    """, new { id, amount = input.Amount, percent = input.Percent }, tx)).ToList();
                if (prices.Count == 0)
                {
                    return (Outcome.Same, "");
                }
                if (prices.Max() > CatalogRules.MaxPrice)
                {
                    return (Outcome.Fail($"A new price would be above {CatalogRules.MaxPrice} minor units."), "");
                }
                await ProductWrites.TouchAfterVariantChangeAsync(log, id);
                return (Outcome.Done, "variant.updated");

            case "set_stock" or "adjust_stock":
                var skus = active.Select(v => v.Sku).ToArray();
                if (skus.Length == 0)
                {
                    return (Outcome.Same, "");
                }
                var newOnHand = input.Action == "set_stock" ? "@quantity" : "on_hand + @quantity";
                var levels = (await conn.QueryAsync<(string Sku, int OnHand, int Reserved)>(
                    "select sku, on_hand, reserved from inventory where sku = any(@skus) order by sku for update", new { skus }, tx)).ToList();
                var target = (Func<int, int>)(input.Action == "set_stock" ? _ => input.Quantity!.Value : onHand => onHand + input.Quantity!.Value);
                if (levels.FirstOrDefault(l => target(l.OnHand) < l.Reserved) is { Sku: not null } short_)
                {
                    return (Outcome.Fail($"SKU {short_.Sku} has {short_.Reserved} units reserved; on hand cannot go below that."), "");
                }
                if (levels.Any(l => target(l.OnHand) > CatalogRules.MaxStock))
                {
                    return (Outcome.Fail($"On hand would be above {CatalogRules.MaxStock}."), "");
                }
                if (levels.All(l => target(l.OnHand) == l.OnHand))
                {
                    return (Outcome.Same, "");
                }
                await StockLedger.NoteAsync(conn, tx, "bulk: " + input.Reason, log.Actor.Id);
                await conn.ExecuteAsync($"""
                    update inventory set on_hand = {newOnHand}, version = version + 1, updated_at = now()
                    where sku = any(@skus) and on_hand <> {newOnHand}
                    """, new { skus, quantity = input.Quantity }, tx);
                return (Outcome.Done, "inventory.changed");

            default:
                return (Outcome.Fail($"Unknown action '{input.Action}'."), "");
        }
    }
}
