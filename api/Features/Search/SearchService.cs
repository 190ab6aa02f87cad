using Dapper;
using Headless.Api.Features.Catalog.Products;
using Headless.Contracts.Catalog;
using Headless.Contracts.Search;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Headless.Api.Features.Search;

/// <summary>
/// Runs a search on the configured engine, then checks the candidates against PostgreSQL in one query:
/// status (a product archived a moment ago is dropped) and live availability through the
/// `variant_availability` view, so "in stock only" is exact even while the index lags. The counts (total
/// and facets) come from <see cref="SearchCountCache"/>, fetched in parallel with the page. Each search waits for
/// its turn in <see cref="SearchConcurrency"/> first.
/// </summary>
public sealed class SearchService(ISearchEngine engine, SearchCountCache counts, SearchConcurrency concurrency, NpgsqlDataSource db, IOptions<Catalog.CatalogOptions> catalog)
{
    public string Engine => engine.Name;

    // Live status and stock of the candidates, plus what a result card shows. Stock comes only from
    // the variant_availability view (available = on_hand - reserved), defined in 0006_search.sql.
    private const string LiveSql = """
        select p.id, p.slug, p.title, p.images -> 0 ->> 'url' as image_url, p.images -> 0 ->> 'alt' as image_alt,
               (p.images -> 0 ->> 'width')::int as image_width, (p.images -> 0 ->> 'height')::int as image_height,
               p.tags, p.min_price, p.created_at,
               coalesce((select true from variant_availability va where va.product_id = p.id and va.available > 0 limit 1), false) as in_stock
        from products p
        where p.id = any(@ids) and p.status = 'active' and p.min_price is not null
        """;

    public async Task<SearchResults> SearchAsync(SearchQuery query, CancellationToken ct)
    {
        using var turn = await concurrency.EnterAsync(ct);
        // Over-fetch: a few candidates may turn out archived or (with inStock) sold out just now.
        var take = query.Limit + 1 + Math.Max(5, query.InStockOnly ? query.Limit : 0);
        var countsTask = counts.GetAsync(query, ct);
        var pageTask = engine.SearchAsync(query, take, ct);
        await Task.WhenAll(countsTask, pageTask);
        var result = pageTask.Result;
        var counted = countsTask.Result;
        if (query.After is null && !counted.TotalIsLowerBound && result.Candidates.Count > counted.Total)
        {
            // The first page alone holds more matches than the (cached) total: the counts predate a new product.
            counts.Forget(query, counted);
            counted = await counts.GetAsync(query, ct);
        }
        var live = await LoadLiveAsync(result.Candidates.Select(c => c.ProductId).ToArray(), ct);

        var items = new List<ProductSummary>(query.Limit);
        Candidate? lastTaken = null;
        Candidate? lastExamined = null;
        var hasMore = false;
        foreach (var candidate in result.Candidates)
        {
            if (!live.TryGetValue(candidate.ProductId, out var row) || (query.InStockOnly && !row.InStock))
            {
                lastExamined = candidate;
                continue;
            }
            if (items.Count == query.Limit)
            {
                hasMore = true;
                break;
            }
            items.Add(row.ToSummary(catalog.Value.Currency));
            lastTaken = lastExamined = candidate;
        }
        // More may follow when a row beyond the page was found, or when every candidate the engine
        // could give was examined (it gave as many as asked).
        var resumeFrom = hasMore ? lastTaken : result.Candidates.Count >= take ? lastExamined : null;
        var next = resumeFrom is null ? null
            : new SearchCursor(query.Sort, query.Fingerprint(), resumeFrom.InStock, resumeFrom.Key, resumeFrom.ProductId).Encode();
        return new SearchResults(items, counted.Total, next, result.Words.Count == 0 ? null : string.Join(' ', result.Words), result.Corrected, counted.Facets)
        {
            TotalIsLowerBound = counted.TotalIsLowerBound,
        };
    }

    public async Task<SearchSuggestions> SuggestAsync(IReadOnlyList<string> words, int limit, CancellationToken ct)
    {
        var s = await engine.SuggestAsync(words, limit, ct);
        return new SearchSuggestions(s.Queries, s.Products, s.Categories);
    }

    private async Task<Dictionary<Guid, ProductSummaryRow>> LoadLiveAsync(Guid[] ids, CancellationToken ct)
    {
        if (ids.Length == 0)
        {
            return [];
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = await conn.QueryAsync<ProductSummaryRow>(new CommandDefinition(LiveSql, new { ids }, cancellationToken: ct));
        return rows.ToDictionary(r => r.Id);
    }


}
