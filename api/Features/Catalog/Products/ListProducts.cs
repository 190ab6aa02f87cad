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

        var fill = await cache.FillListingAsync(key, async () =>
        {
            await using var conn = await db.OpenConnectionAsync(CancellationToken.None);
            var (page, info) = await QueryAsync(conn, query, sort, limit, after, currency);
            // An empty page is the only one that may mean "no such category": only then ask.
            if (page.Items.Count == 0 && query.Category is not null
                && !await conn.ExecuteScalarAsync<bool>("select exists (select 1 from categories where slug = @slug)", new { slug = query.Category }))
            {
                return null;
            }
            return new ListingFill(new CachedBody(JsonSerializer.SerializeToUtf8Bytes(page, ApiJsonContext.Default.ProductPage)), info);
        });
        if (fill is null)
        {
            return Platform.Problems.Problems.Validation("category", $"No category has the slug '{query.Category}'. GET /api/v1/categories lists them.");
        }
        return new CachedJson<ProductPage>(fill.Body, CacheControl.Listing);
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

    private static async Task<(ProductPage, ListingPageInfo)> QueryAsync(NpgsqlConnection conn, Filter query, string sort, int limit,
        ProductCursor? cursor, string currency)
    {
        var byCategory = query.Category is not null;
        // A category listing walks listing_entries (one row per product and each category whose listing shows
        // it, with the sort keys and the in-stock flag beside the category: migration 0020), one index per
        // sort, in stock or not; the whole catalog walks the products indexes. Keyset pagination only, and one
        // statement per page: the category's slug is resolved inside it (an init plan, then one index walk).
        var (table, keys) = !byCategory ? ("products p", "p") : ("listing_entries le join products p on p.id = le.product_id", "le");
        var id = !byCategory ? "p.id" : "le.product_id";
        var sql = new StringBuilder($"""
            select p.id, p.slug, p.title, p.images -> 0 ->> 'url' as image_url, p.images -> 0 ->> 'alt' as image_alt,
                   (p.images -> 0 ->> 'width')::int as image_width, (p.images -> 0 ->> 'height')::int as image_height,
                   p.tags, p.min_price, p.created_at, p.in_stock
            from {table}
            """);
        sql.AppendLine(!byCategory
            ? " where p.status = 'active' and p.min_price is not null"
            : " where le.category_id = (select c.id from categories c where c.slug = @category)");
        if (query.MinPrice is not null)
        {
            sql.AppendLine($" and {keys}.min_price >= @minPrice");
        }
        if (query.MaxPrice is not null)
        {
            sql.AppendLine($" and {keys}.min_price <= @maxPrice");
        }
        if (query.InStock == true)
        {
            sql.AppendLine(!byCategory ? " and p.in_stock" : " and le.in_stock");
        }
        var (after, order) = sort switch
        {
            "price_asc" => ($"({keys}.min_price, {id}) > (@keyLong, @keyId)", $"{keys}.min_price, {id}"),
            "price_desc" => ($"({keys}.min_price, {id}) < (@keyLong, @keyId)", $"{keys}.min_price desc, {id} desc"),
            "title" => ($"({keys}.title, {id}) > (@keyText, @keyId)", $"{keys}.title, {id}"),
            _ => ($"({keys}.created_at, {id}) < (@keyTime, @keyId)", $"{keys}.created_at desc, {id} desc"),
        };
        if (cursor is not null)
        {
            sql.Append(" and ").AppendLine(after);
        }
        sql.Append(" order by ").Append(order).Append(" limit @take");

        var rows = (await conn.QueryAsync<ProductSummaryRow>(sql.ToString(), new
        {
            category = query.Category,
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
        // The stretch of the sort order this page covers, for the cache: from the cursor's key to the last row's
        // (open-ended on the last page, which any product sorting after it would join).
        long? SortKey(ProductSummaryRow row) => sort switch
        {
            "price_asc" or "price_desc" => row.MinPrice,
            "newest" => ProductCursor.ToMicros(row.CreatedAt),
            _ => null,
        };
        var info = new ListingPageInfo(query.Category, query.MinPrice, query.MaxPrice, query.InStock == true, sort,
            cursor is not null && sort != "title" ? cursor.LongKey : null,
            next is not null ? SortKey(rows[limit - 1]) : null,
            rows.Select(r => r.Id).ToHashSet());
        return (new ProductPage(items, next), info);
    }
}
