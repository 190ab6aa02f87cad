using Headless.Contracts.Catalog;

namespace Headless.Contracts.Search;

/// <summary>One page of search results. <c>Total</c> and the facets count what the search index holds
/// (at most about a second behind, and the counts of a popular search may be reused for a few seconds);
/// the items are checked against live stock and status.</summary>
/// <param name="Total">How many products match, counted up to a cap (1,000 by default): when more match,
/// this is the cap and <see cref="TotalIsLowerBound"/> is true.</param>
/// <param name="Query">The words searched for after typo correction (null when no words were given).</param>
/// <param name="Corrected">True when at least one word was replaced by its nearest known word.</param>
public sealed record SearchResults(
    IReadOnlyList<ProductSummary> Items,
    long Total,
    string? NextCursor,
    string? Query,
    bool Corrected,
    SearchFacets? Facets)
{
    /// <summary>True when counting stopped at the cap: at least <c>Total</c> products match (show "1,000+").
    /// False: <c>Total</c> is exact. Paging with <c>nextCursor</c> goes on past the cap either way.</summary>
    public bool TotalIsLowerBound { get; init; }
}

/// <summary>Counts over the whole result, or, when <c>Estimated</c>, over a bounded sample of it: scaled to the
/// total when the total is exact, and left as the sample's own counts (each one a lower bound, like the total)
/// when the total is a lower bound, since scaling to a capped total would only pretend to know more.</summary>
public sealed record SearchFacets(
    IReadOnlyList<CategoryFacet> Categories,
    IReadOnlyList<PriceBandFacet> PriceBands,
    IReadOnlyList<OptionFacet> Options,
    AvailabilityFacet Availability)
{
    /// <summary>True when the result was larger than the sample the counts were taken from (1,000 matches on the
    /// PostgreSQL engine): each count is the sample's, scaled to the total when the total is exact (approximate),
    /// or the sample's count itself when the total is a lower bound (then each count is a lower bound). False: exact.</summary>
    public bool Estimated { get; init; }
}

/// <summary>Products in this category or any of its sub-categories.</summary>
public sealed record CategoryFacet(string Slug, string Name, string? ParentSlug, long Count);

/// <summary>Products whose lowest price is at least <c>MinPrice</c> and below <c>MaxPrice</c> (minor units; null = open).</summary>
public sealed record PriceBandFacet(string Key, long? MinPrice, long? MaxPrice, long Count);

/// <summary>Products with an active variant having this option value (e.g. size = m). Filter with <c>option=name:value</c>.</summary>
public sealed record OptionFacet(string Name, string Value, long Count);

public sealed record AvailabilityFacet(long InStock, long SoldOut);

public sealed record SearchSuggestions(
    IReadOnlyList<string> Queries,
    IReadOnlyList<ProductSuggestion> Products,
    IReadOnlyList<CategorySuggestion> Categories);

public sealed record ProductSuggestion(Guid Id, string Slug, string Title, bool InStock);

public sealed record CategorySuggestion(string Slug, string Name);

/// <summary>What a full reindex did.</summary>
public sealed record SearchReindexResult(string Engine, long Documents, string? Index, double Seconds);
