using System.ComponentModel;
using Headless.Contracts.Search;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Headless.Api.Features.Search;

public static class SearchProducts
{
    public static void Map(RouteGroupBuilder group) => group
        .MapGet("", Handle)
        .WithName("SearchProducts")
        .WithSummary("Search active products: words, filters, facets, stock-aware ranking, cursor pagination")
        .WithDescription("""
            `q` is matched against titles (weighted highest), categories and tags, then descriptions, with English
            stemming, accents ignored and one-letter typos corrected (`query` shows the words searched, `corrected`
            says whether any was replaced). Filters: `category` (slug, sub-categories included), `minPrice`/`maxPrice`
            (minor units, on the lowest variant price), `option=name:value` (repeat it; values of one option are
            alternatives, different options must all match), `tag` (repeat it; all must match), `inStock=true`
            (exact: checked against live stock, so a product sold a moment ago is not listed). Sorts: relevance
            (default with `q`; sold-out products count half), newest (default without `q`), price_asc, price_desc;
            in-stock products come first in every sort. `facets=true` adds counts per category (sub-trees
            included), price band, option value and availability over the whole result. `total` and the facets
            reflect the search index, at most about a second behind the catalog.
            """)
        .ProducesValidationProblem();

    private static async Task<Results<Ok<SearchResults>, ProblemHttpResult>> Handle(
        [Description("Words to search for, at most 200 characters.")] string? q,
        [Description("Category slug; products in its sub-categories are included.")] string? category,
        [Description("Lowest price, in minor units, of the product's cheapest variant.")] long? minPrice,
        [Description("Highest price, in minor units, of the product's cheapest variant.")] long? maxPrice,
        [Description("Option filter name:value, e.g. size:m or colour:natural; repeatable.")] string[]? option,
        [Description("Tag filter, e.g. plastic-free; repeatable, all must match.")] string[]? tag,
        [Description("true: only products with at least one variant available right now.")] bool? inStock,
        [Description("relevance (default with q), newest (default without), price_asc or price_desc.")] string? sort,
        [Description("Page size, 1-100, default 20.")] int? limit,
        [Description("The nextCursor of the previous page, unchanged.")] string? cursor,
        [Description("true: include facet counts.")] bool? facets,
        SearchService search, HttpContext http, CancellationToken ct)
    {
        var query = SearchQuery.Parse(q, category, minPrice, maxPrice, option, tag, inStock, sort, limit, cursor, facets, out var errors);
        if (errors.Count > 0)
        {
            return Platform.Problems.Problems.Validation(errors);
        }
        try
        {
            var results = await search.SearchAsync(query, ct);
            // Stock-exact answers: a shared cache must not keep them.
            http.Response.Headers.CacheControl = "no-store";
            return TypedResults.Ok(results);
        }
        catch (UnknownCategoryException e)
        {
            return Platform.Problems.Problems.Validation("category", $"No category has the slug '{e.Slug}'. GET /api/v1/categories lists them.");
        }
    }
}
