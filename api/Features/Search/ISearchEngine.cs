using Headless.Contracts.Search;

namespace Headless.Api.Features.Search;

/// <summary>
/// A search engine: PostgreSQL (<see cref="PostgresSearchEngine"/>, the default) or OpenSearch
/// (<see cref="OpenSearch.OpenSearchEngine"/>). Both answer the same <see cref="SearchQuery"/> with the same
/// ordering rules; neither decides what is in stock right now: <see cref="SearchService"/> checks the
/// candidates they return against live stock in PostgreSQL.
/// </summary>
public interface ISearchEngine
{
    string Name { get; }

    /// <summary>Up to <paramref name="take"/> candidates after the query's cursor, in result order.</summary>
    Task<EngineResult> SearchAsync(SearchQuery query, int take, CancellationToken ct);

    /// <summary>The total (up to <see cref="SearchOptions.TotalCap"/>) and, when asked, the facets of the query's
    /// words and filters; the sort and cursor do not change them. <see cref="SearchCountCache"/> keeps them a few seconds.</summary>
    Task<EngineCounts> CountAsync(SearchQuery query, CancellationToken ct);

    Task<EngineSuggestions> SuggestAsync(IReadOnlyList<string> words, int limit, CancellationToken ct);
}

/// <summary>Keeps an engine's index in step with the catalog (called by <see cref="SearchIndexer"/>).</summary>
public interface ISearchIndex
{
    string Name { get; }

    /// <summary>Re-reads these products from the catalog and writes or removes their documents.</summary>
    Task IndexProductsAsync(IReadOnlyCollection<Guid> productIds, CancellationToken ct);

    /// <summary>These products' stock changed and nothing else did: brings their in-stock flag up to date,
    /// writing only what that changes.</summary>
    Task IndexStockAsync(IReadOnlyCollection<Guid> productIds, CancellationToken ct);

    /// <summary>Rebuilds the whole index from the catalog.</summary>
    Task<SearchReindexResult> RebuildAsync(CancellationToken ct);

    /// <summary>True when the index has never been built (a first start on this engine).</summary>
    Task<bool> IsEmptyAsync(CancellationToken ct);
}

/// <param name="InStock">Stock as the index knew it (the order is based on it).</param>
/// <param name="Key">The sort key of this row, as a cursor keeps it (score, micros since 1970, or price).</param>
public sealed record Candidate(Guid ProductId, bool InStock, string Key);

public sealed record EngineResult(IReadOnlyList<Candidate> Candidates, IReadOnlyList<string> Words, bool Corrected);

/// <param name="TotalIsLowerBound">Counting stopped at the cap: at least <paramref name="Total"/> match.</param>
public sealed record EngineCounts(long Total, bool TotalIsLowerBound, SearchFacets? Facets);

public sealed record EngineSuggestions(IReadOnlyList<string> Queries, IReadOnlyList<ProductSuggestion> Products, IReadOnlyList<CategorySuggestion> Categories);

/// <summary>The fixed price bands of the price facet, in minor units: [from, to).</summary>
public static class PriceBands
{
    public static readonly (string Key, long? From, long? To)[] All =
    [
        ("under-10", null, 1000),
        ("10-25", 1000, 2500),
        ("25-50", 2500, 5000),
        ("50-100", 5000, 10000),
        ("100-and-up", 10000, null),
    ];
}
