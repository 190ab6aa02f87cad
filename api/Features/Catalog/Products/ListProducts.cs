using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Json;
using Headless.Contracts.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Headless.Api.Features.Catalog.Products;

public sealed class ListProducts(CatalogCache cache, NpgsqlDataSource db, IOptions<CatalogOptions> options)
    : Endpoint<ListProducts.Filter, Results<CachedJson<ProductPage>, ProblemHttpResult>>
{
    private static readonly string[] Sorts = ["newest", "price_asc", "price_desc", "title"];

    public override void Configure()
    {
        Get("/products");
        Group<PublicApi>();
        AllowAnonymous();
        Description(b => b.WithName("ListProducts").WithTags("Catalog").ProducesValidationProblem());
        Summary(s =>
        {
            s.Summary = "List active products, newest first by default, with filters and cursor pagination";
            s.Description = "Filters: `category` (slug, includes its sub-categories), `minPrice`/`maxPrice` (minor units, on the lowest variant price), `inStock`. Sorts: newest, price_asc, price_desc, title. Pass `nextCursor` back as `cursor` for the next page.";
        });
    }

    public sealed class Filter
    {
        /// <summary>Category slug; products in its sub-categories are included.</summary>
        public string? Category { get; set; }
        /// <summary>Lowest price, in minor units, of the product's cheapest variant.</summary>
        public long? MinPrice { get; set; }
        /// <summary>Highest price, in minor units, of the product's cheapest variant.</summary>
        public long? MaxPrice { get; set; }
        /// <summary>true: only products with at least one variant available now.</summary>
        public bool? InStock { get; set; }
        /// <summary>newest (default), price_asc, price_desc or title.</summary>
        public string? Sort { get; set; }
        /// <summary>Page size, 1-100, default 20.</summary>
        public int? Limit { get; set; }
        /// <summary>The nextCursor of the previous page, unchanged.</summary>
        public string? Cursor { get; set; }
    }

    public override Task<Results<CachedJson<ProductPage>, ProblemHttpResult>> ExecuteAsync(Filter query, CancellationToken ct) =>
        HandleAsync(query, cache, db, options.Value.Currency, ct);

    private static async Task<Results<CachedJson<ProductPage>, ProblemHttpResult>> HandleAsync(
        Filter query, CatalogCache cache, NpgsqlDataSource db, string currency, CancellationToken ct)
    {
        var sort = query.Sort ?? "newest";
        var limit = query.Limit ?? 20;
        // Only a page whose query passed the checks below is ever stored, so a hit needs no checks.
        var key = $"{query.Category}|{query.MinPrice}|{query.MaxPrice}|{query.InStock}|{sort}|{limit}|{query.Cursor}";
        if (cache.TryGetListing(key, out var cached))
        {
            return new CachedJson<ProductPage>(cached, CacheControl.Listing);
        }
        if (Check(query, sort, limit, out var after) is { } errors)
        {
            return Platform.Problems.Problems.Validation(errors);
        }

        var ticket = cache.GlobalTicket();
        await using var conn = await db.OpenConnectionAsync(ct);
        if (query.Category is not null && !await conn.ExecuteScalarAsync<bool>(
                "select exists (select 1 from categories where slug = @slug)", new { slug = query.Category }))
        {
            return Platform.Problems.Problems.Validation("category", $"No category has the slug '{query.Category}'. GET /api/v1/categories lists them.");
        }
        var page = await QueryAsync(conn, query, sort, limit, after, currency);
        var body = new CachedBody(JsonSerializer.SerializeToUtf8Bytes(page, ApiJsonContext.Default.ProductPage));
        cache.StoreListing(ticket, key, body);
        return new CachedJson<ProductPage>(body, CacheControl.Listing);
    }

    private static Dictionary<string, string[]>? Check(Filter query, string sort, int limit, out ProductCursor? after)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Sorts.Contains(sort))
        {
            errors["sort"] = [$"Use one of: {string.Join(", ", Sorts)}."];
        }
        if (limit is < 1 or > 100)
        {
            errors["limit"] = ["Use a limit from 1 to 100."];
        }
        if (query.MinPrice is < 0)
        {
            errors["minPrice"] = ["Prices are zero or more, in minor units."];
        }
        if (query.MaxPrice is < 0)
        {
            errors["maxPrice"] = ["Prices are zero or more, in minor units."];
        }
        if (query.MinPrice > query.MaxPrice)
        {
            errors["minPrice"] = ["minPrice must not be above maxPrice."];
        }
        if (query.Category is { Length: > 120 })
        {
            errors["category"] = ["A category slug is at most 120 characters."];
        }
        after = null;
        if (query.Cursor is not null && errors.Count == 0 && !ProductCursor.TryDecode(query.Cursor, sort, out after))
        {
            errors["cursor"] = ["This cursor is not valid for this sort. Use the nextCursor of the previous page unchanged, or omit it to start over."];
        }
        return errors.Count > 0 ? errors : null;
    }

    private static async Task<ProductPage> QueryAsync(NpgsqlConnection conn, Filter query, string sort, int limit, ProductCursor? cursor, string currency)
    {
        // The stock and category checks are scalar subqueries with LIMIT 1 on purpose: written as EXISTS,
        // PostgreSQL may turn them into a hashed subplan over every variant (about a second at 100,000
        // products) instead of probing the few rows the page needs.
        const string inStock = """
            coalesce((select true from variants v join inventory i on i.sku = v.sku
                      where v.product_id = p.id and v.status = 'active' and i.on_hand > i.reserved limit 1), false)
            """;
        var sql = new StringBuilder($"""
            with recursive subtree as (
                select id from categories where slug = @category
                union all
                select c.id from categories c join subtree s on c.parent_id = s.id
            )
            select p.id, p.slug, p.title, p.images -> 0 ->> 'url' as image_url, p.images -> 0 ->> 'alt' as image_alt,
                   (p.images -> 0 ->> 'width')::int as image_width, (p.images -> 0 ->> 'height')::int as image_height,
                   p.tags, p.min_price, p.created_at, {inStock} as in_stock
            from products p
            where p.status = 'active' and p.min_price is not null
            """);
        if (query.Category is not null)
        {
            sql.AppendLine(" and coalesce((select true from product_categories pc where pc.product_id = p.id and pc.category_id in (select id from subtree) limit 1), false)");
        }
        if (query.MinPrice is not null)
        {
            sql.AppendLine(" and p.min_price >= @minPrice");
        }
        if (query.MaxPrice is not null)
        {
            sql.AppendLine(" and p.min_price <= @maxPrice");
        }
        if (query.InStock == true)
        {
            sql.Append(" and ").AppendLine(inStock);
        }
        var (after, order) = sort switch
        {
            "price_asc" => ("(p.min_price, p.id) > (@keyLong, @keyId)", "p.min_price, p.id"),
            "price_desc" => ("(p.min_price, p.id) < (@keyLong, @keyId)", "p.min_price desc, p.id desc"),
            "title" => ("(p.title, p.id) > (@keyText, @keyId)", "p.title, p.id"),
            _ => ("(p.created_at, p.id) < (@keyTime, @keyId)", "p.created_at desc, p.id desc"),
        };
        if (cursor is not null)
        {
            sql.Append(" and ").AppendLine(after);
        }
        sql.Append(" order by ").Append(order).Append(" limit @take");

        var rows = (await conn.QueryAsync<ProductSummaryRow>(sql.ToString(), new
        {
            category = query.Category ?? "",
            minPrice = query.MinPrice,
            maxPrice = query.MaxPrice,
            keyLong = cursor is not null && sort.StartsWith("price", StringComparison.Ordinal) ? cursor.LongKey : 0L,
            keyText = cursor?.Key ?? "",
            keyTime = cursor is not null && sort == "newest" ? ProductCursor.FromMicros(cursor.LongKey) : DateTime.UnixEpoch,
            keyId = cursor?.Id ?? Guid.Empty,
            take = limit + 1,
        })).ToList();

        var items = rows.Take(limit).Select(r => r.ToSummary(currency)).ToList();
        string? next = null;
        if (rows.Count > limit)
        {
            var last = rows[limit - 1];
            var key = sort switch
            {
                "price_asc" or "price_desc" => last.MinPrice!.Value.ToString(CultureInfo.InvariantCulture),
                "title" => last.Title,
                _ => ProductCursor.ToMicros(last.CreatedAt).ToString(CultureInfo.InvariantCulture),
            };
            next = new ProductCursor(sort, key, last.Id).Encode();
        }
        return new ProductPage(items, next);
    }

}
