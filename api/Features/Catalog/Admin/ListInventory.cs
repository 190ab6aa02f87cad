using System.Text;
using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Admin;

/// <summary>Stock per SKU in SKU order (the inventory primary key is the keyset); the low-stock view reads
/// the partial index of SKUs at or below their threshold.</summary>
public sealed class ListInventory(NpgsqlDataSource db)
    : Endpoint<ListInventory.Filter, Results<Ok<InventoryPage>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/inventory");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.CatalogStaff);
        Description(b => b.WithName("ListInventory").WithTags("Admin inventory").ProducesValidationProblem());
        Summary(s =>
        {
            s.Summary = "List stock per SKU (on hand, reserved, available, low-stock threshold), in SKU order with cursor pagination";
            s.Description = "`lowStock=true` keeps the SKUs whose available units are at or below their threshold; `q` matches a fragment of the SKU or the product title.";
            s.Responses[200] = "A page of SKUs and the cursor of the next page (null on the last)";
            s.Responses[400] = "A filter, limit or cursor is not valid; `errors` names it";
        });
    }

    public sealed class Filter
    {
        /// <summary>A fragment of the SKU or the product title (1-100 characters).</summary>
        public string? Q { get; set; }
        /// <summary>true: only SKUs at or below their low-stock threshold.</summary>
        public bool? LowStock { get; set; }
        /// <summary>Page size, 1-100, default 50.</summary>
        public int? Limit { get; set; }
        /// <summary>The nextCursor of the previous page, unchanged.</summary>
        public string? Cursor { get; set; }
    }

    public override async Task<Results<Ok<InventoryPage>, ProblemHttpResult>> ExecuteAsync(Filter query, CancellationToken ct)
    {
        var limit = query.Limit ?? 50;
        var errors = new Dictionary<string, string[]>();
        if (limit is < 1 or > 100)
        {
            errors["limit"] = ["Use a limit from 1 to 100."];
        }
        if (query.Q is { } q && (q.Length is 0 or > 100 || !CatalogRules.NoControlCharacters(q)))
        {
            errors["q"] = ["Search for 1-100 characters of a SKU or product title."];
        }
        var cursor = query.Cursor is null ? null : AdminListCursor.TryDecode(query.Cursor, "sku:asc");
        if (query.Cursor is not null && cursor is null)
        {
            errors["cursor"] = [AdminListCursor.Invalid];
        }
        if (errors.Count > 0)
        {
            return Validation(errors);
        }

        var sql = new StringBuilder(InventoryRows.Select).Append("\nwhere true");
        if (query.Q is not null)
        {
            sql.Append("""

                and i.sku in (select sku from variants where lower(sku) ilike @pattern
                              union select v2.sku from products p2 join variants v2 on v2.product_id = p2.id where p2.title ilike @pattern)
                """);
        }
        sql.Append(query.LowStock == true ? "\n and i.on_hand - i.reserved <= i.low_stock_threshold" : "");
        sql.Append(cursor is null ? "" : "\n and i.sku > @after");
        sql.Append("\norder by i.sku\nlimit @take");

        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = (await conn.QueryAsync<InventoryRows.Row>(new CommandDefinition(sql.ToString(), new
        {
            pattern = query.Q is null ? null : AdminListCursor.Contains(query.Q),
            after = cursor?.Key,
            take = limit + 1,
        }, cancellationToken: ct))).ToList();
        var page = rows.Take(limit).Select(r => r.ToContract()).ToList();
        var next = rows.Count > limit ? new AdminListCursor("sku:asc", page[^1].Sku, "").Encode() : null;
        HttpContext.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new InventoryPage(page, next));
    }
}
