using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using FastEndpoints;
using Headless.Api.Features.Catalog.Products;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Json;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Admin;

/// <summary>
/// The admin product list: every status, searched, filtered and sorted, a keyset page at a time. Each
/// sort key has its own index (migration 0013), the exact stock total is product_stock's (kept by the inventory
/// trigger, with the stock sort's index: migration 0040), the stock filters read the in_stock and low_stock
/// flags on products, and the search text is kept by the product and variant triggers under a trigram index
/// (migration 0017), so a page costs an index scan plus one small lookup of variants per row returned,
/// however large the catalog.
/// </summary>
public sealed class ListAdminProducts(NpgsqlDataSource db)
    : Endpoint<ListAdminProducts.Filter, Results<Ok<AdminProductPage>, ProblemHttpResult>>
{
    private static readonly Dictionary<string, string> SortKeys = new()
    {
        ["updated"] = "p.updated_at",
        ["title"] = "p.title",
        ["price"] = "coalesce(p.min_price, -1)",
        ["stock"] = "s.available_total",
    };

    private static readonly string[] Statuses = ["draft", "active", "archived"];
    private static readonly string[] StockFilters = ["in_stock", "sold_out", "low"];

    public override void Configure()
    {
        Get("/products");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.CatalogStaff);
        Description(b => b.WithName("ListAdminProducts").WithTags("Admin catalog").ProducesValidationProblem());
        Summary(s =>
        {
            s.Summary = "List products of every status for the dashboard, with search, filters, sorts and cursor pagination";
            s.Description = "`q` matches a fragment of the title, slug, vendor or a variant's SKU, case-insensitively. Filters: `status` (draft, active, archived), "
                + "`categoryId` (products assigned to that category or to any category below it, as the storefront's category pages list them), `stock` (in_stock: something available; sold_out: nothing available; "
                + "low: a variant at or below its low-stock threshold). Sorts: `updated` (default, newest first), `title`, `price` (the lowest "
                + "active variant price; products without one first), `stock` (units available over active variants); `order` asc or desc "
                + "(default: desc for updated, asc otherwise). Pass `nextCursor` back as `cursor` with the same sort and order.";
            s.Responses[200] = "A page of products and the cursor of the next page (null on the last)";
            s.Responses[400] = "A filter, sort, limit or cursor is not valid; `errors` names it";
        });
    }

    public sealed class Filter
    {
        /// <summary>A fragment of the title, slug, vendor or a SKU (1-100 characters), any case.</summary>
        public string? Q { get; set; }
        /// <summary>draft, active or archived; all when absent.</summary>
        public string? Status { get; set; }
        /// <summary>Only products assigned to this category or one of its sub-categories (any depth).</summary>
        public Guid? CategoryId { get; set; }
        /// <summary>in_stock, sold_out or low.</summary>
        public string? Stock { get; set; }
        /// <summary>updated (default), title, price or stock.</summary>
        public string? Sort { get; set; }
        /// <summary>asc or desc; default desc for updated, asc for the others.</summary>
        public string? Order { get; set; }
        /// <summary>Page size, 1-100, default 25.</summary>
        public int? Limit { get; set; }
        /// <summary>The nextCursor of the previous page, unchanged.</summary>
        public string? Cursor { get; set; }
    }

    public override async Task<Results<Ok<AdminProductPage>, ProblemHttpResult>> ExecuteAsync(Filter query, CancellationToken ct)
    {
        var sort = query.Sort ?? "updated";
        var order = query.Order ?? (sort == "updated" ? "desc" : "asc");
        var limit = query.Limit ?? 25;
        var errors = new Dictionary<string, string[]>();
        if (!SortKeys.ContainsKey(sort))
        {
            errors["sort"] = ["Use updated, title, price or stock."];
        }
        if (order is not ("asc" or "desc"))
        {
            errors["order"] = ["Use asc or desc."];
        }
        if (limit is < 1 or > 100)
        {
            errors["limit"] = ["Use a limit from 1 to 100."];
        }
        if (query.Status is not null && !Statuses.Contains(query.Status))
        {
            errors["status"] = ["Use draft, active or archived."];
        }
        if (query.Stock is not null && !StockFilters.Contains(query.Stock))
        {
            errors["stock"] = ["Use in_stock, sold_out or low."];
        }
        if (query.Q is { } q && (q.Length is 0 or > 100 || !CatalogRules.NoControlCharacters(q)))
        {
            errors["q"] = ["Search for 1-100 characters of a title, slug or SKU."];
        }
        var orderName = $"{sort}:{order}";
        AdminListCursor? cursor = null;
        object? cursorKey = null;
        if (errors.Count == 0 && query.Cursor is not null)
        {
            cursor = AdminListCursor.TryDecode(query.Cursor, orderName);
            cursorKey = cursor is null ? null : ParseKey(sort, cursor.Key);
            if (cursorKey is null || !Guid.TryParseExact(cursor!.Tie, "N", out _))
            {
                errors["cursor"] = [AdminListCursor.Invalid];
            }
        }
        if (errors.Count > 0)
        {
            return Validation(errors);
        }

        var key = SortKeys[sort];
        var direction = order == "asc" ? "asc" : "desc";
        // the stock sort walks product_stock's (available_total, product_id) index, so its tie-break is that column
        var tie = sort == "stock" ? "s.product_id" : "p.id";
        // The page is chosen first (filters, keyset, sort, limit on products alone) and only its rows get
        // the variant lookup: with the lookup joined before the sort, a search matching 20,000 products
        // computed 20,000 price ranges to show 25 (1.4 s at 100,000 products instead of milliseconds).
        var sql = new StringBuilder("""
            select p.id, p.slug, p.title, p.status, (p.images -> 0)::text as image, p.stock_total, p.low_stock,
                   p.updated_at, p.version, p.min_price as sort_price, v.min_price, v.max_price, v.currency, v.variant_count
            from (select p.id, p.slug, p.title, p.status, p.images, p.low_stock, p.updated_at, p.version, p.min_price,
                         s.available_total as stock_total
                  from products p join product_stock s on s.product_id = p.id
                  where true
            """);
        sql.Append(FilterSql(query.Q, query.Status, query.CategoryId, query.Stock));
        if (cursor is not null)
        {
            sql.Append($"\n and ({key}, {tie}) {(direction == "asc" ? ">" : "<")} (@after, @afterId)");
        }
        sql.Append($"""

                  order by {key} {direction}, {tie} {direction}
                  limit @take) p
            cross join lateral (
                select min(price_amount) as min_price, max(price_amount) as max_price, min(currency) as currency, count(*)::int as variant_count
                from variants where product_id = p.id and status = 'active') v
            order by {(sort == "stock" ? "p.stock_total" : key)} {direction}, p.id {direction}
            """);

        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = (await conn.QueryAsync<Row>(new CommandDefinition(sql.ToString(), new
        {
            pattern = query.Q is null ? null : AdminListCursor.Contains(query.Q),
            status = query.Status,
            categoryId = query.CategoryId,
            after = cursorKey,
            afterId = cursor is null ? Guid.Empty : Guid.ParseExact(cursor.Tie, "N"),
            take = limit + 1,
        }, cancellationToken: ct))).ToList();

        var page = rows.Take(limit).ToList();
        var next = rows.Count > limit ? new AdminListCursor(orderName, KeyOf(sort, page[^1]), page[^1].Id.ToString("N")).Encode() : null;
        HttpContext.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new AdminProductPage(page.Select(r => r.ToContract()).ToList(), next));
    }

    /// <summary>The list's filters as SQL conditions on products p, with the parameters @pattern (see
    /// <see cref="AdminListCursor.Contains"/>), @status and @categoryId; the bulk job selects with it too.</summary>
    public static string FilterSql(string? q, string? status, Guid? categoryId, string? stock)
    {
        var sql = new StringBuilder();
        if (q is not null)
        {
            // search_text (migration 0017) is title, slug, vendor and every SKU, lower-cased, kept by triggers
            sql.Append("\n and p.search_text like lower(@pattern)");
        }
        sql.Append(status is null ? "" : "\n and p.status = @status");
        // the category and its sub-categories at any depth, collected once (an uncorrelated array), then
        // one primary-key probe of product_categories per product row considered
        sql.Append(categoryId is null ? "" : """

             and exists (select 1 from product_categories pc where pc.product_id = p.id and pc.category_id = any (array(
                 with recursive subtree as (
                     select @categoryId::uuid as id
                     union
                     select c.id from categories c join subtree s on c.parent_id = s.id)
                 select id from subtree)))
            """);
        sql.Append(stock switch
        {
            "in_stock" => "\n and p.in_stock",
            "sold_out" => "\n and not p.in_stock",
            "low" => "\n and p.low_stock",
            _ => "",
        });
        return sql.ToString();
    }

    private static object? ParseKey(string sort, string key) => sort switch
    {
        "updated" => long.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var micros) && micros < 253_402_300_800_000_000
            ? ProductCursor.FromMicros(micros) : null,
        "title" => key,
        "price" => long.TryParse(key, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var price) ? price : null,
        "stock" => int.TryParse(key, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var stock) ? stock : null,
        _ => null,
    };

    private static string KeyOf(string sort, Row row) => sort switch
    {
        "updated" => ProductCursor.ToMicros(row.UpdatedAt).ToString(CultureInfo.InvariantCulture),
        "title" => row.Title,
        "price" => (row.SortPrice ?? -1).ToString(CultureInfo.InvariantCulture),
        _ => row.StockTotal.ToString(CultureInfo.InvariantCulture),
    };

    private sealed record Row(Guid Id, string Slug, string Title, string Status, string? Image, int StockTotal, bool LowStock,
        DateTime UpdatedAt, int Version, long? SortPrice, long? MinPrice, long? MaxPrice, string? Currency, int VariantCount)
    {
        public AdminProductRow ToContract() => new(Id, Slug, Title, Status,
            Image is null ? null : JsonSerializer.Deserialize(Image, ApiJsonContext.Default.ProductImage),
            MinPrice is { } min && MaxPrice is { } max && Currency is { } c ? new PriceRange(new Money(min, c.Trim()), new Money(max, c.Trim())) : null,
            StockTotal, LowStock, VariantCount, UpdatedAt, Version);
    }
}
