using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Search;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Headless.Api.Features.Search;

public sealed class SearchProducts(SearchService search)
    : Endpoint<SearchProducts.Request, Results<Ok<SearchResults>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/search");
        Group<PublicApi>();
        AllowAnonymous();
        Description(b => b.WithName("SearchProducts").WithTags("Search").ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable));
        Summary(s =>
        {
            s.Summary = "Search active products: words, filters, facets, stock-aware ranking, cursor pagination";
            s.Description = """
                `q` is matched against titles (weighted highest), categories and tags, then descriptions, with English
                stemming, accents ignored and one-letter typos corrected (`query` shows the words searched, `corrected`
                says whether any was replaced). Filters: `category` (slug, sub-categories included), `minPrice`/`maxPrice`
                (minor units, on the lowest variant price), `option=name:value` (repeat it; values of one option are
                alternatives, different options must all match), `tag` (repeat it; all must match), `inStock=true`
                (exact: checked against live stock, so a product sold a moment ago is not listed). Sorts: relevance
                (default with `q`; sold-out products count half), newest (default without `q`), price_asc, price_desc;
                in-stock products come first in every sort. Relevance ranks a bounded pool of candidates (on the
                PostgreSQL engine the 300 newest in-stock title matches, topped up with up to 300 other matches when
                titles match fewer): its pages end there, while `total` counts the matches; sort by newest or price
                to page through all of them. `total` counts up to 1,000 matches: when more match, it is 1,000 and
                `totalIsLowerBound` is true (show "1,000+"); `nextCursor` pages on past it. `facets=true` adds counts
                per category (sub-trees included), price band, option value and availability: exact over the whole
                result up to 1,000 matches; beyond that taken from a sample of 1,000, with `facets.estimated` true
                (each count is then the sample's own, a lower bound like `total`). `total` and the facets reflect the
                search index, at most about a second behind the catalog, and the counts of one search (words and
                filters) are reused for up to 3 seconds; the items are read and checked against live stock on every
                request. Searches take turns (a few at once per API instance, the rest wait, oldest first); when too many
                are waiting the answer is 503 `search-busy` with Retry-After: 1.
                """;
        });
    }

    public sealed class Request
    {
        /// <summary>Words to search for, at most 200 characters.</summary>
        public string? Q { get; set; }
        /// <summary>Category slug; products in its sub-categories are included.</summary>
        public string? Category { get; set; }
        /// <summary>Lowest price, in minor units, of the product's cheapest variant.</summary>
        public long? MinPrice { get; set; }
        /// <summary>Highest price, in minor units, of the product's cheapest variant.</summary>
        public long? MaxPrice { get; set; }
        /// <summary>Option filter name:value, e.g. size:m or colour:natural; repeatable.</summary>
        public string[]? Option { get; set; }
        /// <summary>Tag filter, e.g. plastic-free; repeatable, all must match.</summary>
        public string[]? Tag { get; set; }
        /// <summary>true: only products with at least one variant available right now.</summary>
        public bool? InStock { get; set; }
        /// <summary>relevance (default with q), newest (default without), price_asc or price_desc.</summary>
        public string? Sort { get; set; }
        /// <summary>Page size, 1-100, default 20.</summary>
        public int? Limit { get; set; }
        /// <summary>The nextCursor of the previous page, unchanged.</summary>
        public string? Cursor { get; set; }
        /// <summary>true: include facet counts.</summary>
        public bool? Facets { get; set; }
    }

    public override async Task<Results<Ok<SearchResults>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var http = HttpContext;
        var query = SearchQuery.Parse(req.Q, req.Category, req.MinPrice, req.MaxPrice, req.Option, req.Tag, req.InStock, req.Sort, req.Limit, req.Cursor, req.Facets, out var errors);
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
        catch (SearchBusyException)
        {
            http.Response.Headers.RetryAfter = SearchBusyException.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Platform.Problems.Problems.Make(StatusCodes.Status503ServiceUnavailable, "search-busy", "Search is busy",
                $"Too many searches are waiting. Retry in {SearchBusyException.RetryAfterSeconds} second.");
        }
    }
}
