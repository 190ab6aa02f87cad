namespace Headless.Api.Features.Search;

/// <summary>`Headless:Search`: which engine answers searches. PostgreSQL by default; OpenSearch (Amazon
/// OpenSearch Service in production) when <c>Engine</c> is <c>opensearch</c> and a URL is set.</summary>
public sealed class SearchOptions
{
    public const string Section = "Headless:Search";

    /// <summary><c>postgres</c> (default) or <c>opensearch</c>.</summary>
    public string Engine { get; set; } = "postgres";

    public OpenSearchOptions OpenSearch { get; set; } = new();

    /// <summary>PostgreSQL engine: candidates per first-pass stage (title matches, then whole-document matches)
    /// that a relevance search ranks with ts_rank; its results end after at most twice this many.</summary>
    public int RankPool { get; set; } = 300;

    /// <summary>PostgreSQL engine: facets count at most this many matches; a larger result's facets are the
    /// sample's counts scaled to its total, marked <c>estimated</c>.</summary>
    public int FacetSample { get; set; } = 1000;

    /// <summary>Both engines: `total` counts at most this many matches; when more match, it is this number and
    /// <c>totalIsLowerBound</c> is true (counting every match of a common word is what made search slow under load).</summary>
    public int TotalCap { get; set; } = 1000;

    /// <summary>How long the total and facets of one search (words and filters, not sort or page) are reused
    /// (<see cref="SearchCountCache"/>). Zero counts on every request. Items are never cached.</summary>
    public TimeSpan CountCacheTtl { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>At most this many searches' counts are kept; when full (of unexpired entries), further searches are counted uncached.</summary>
    public int CountCacheEntries { get; set; } = 10_000;

    /// <summary>Searches this instance runs at once (<see cref="SearchConcurrency"/>); more wait in a queue. About four
    /// times the database's cores divided by the number of API instances; 8 suits a 2-core database and one instance.</summary>
    public int MaxConcurrentSearches { get; set; } = 8;

    /// <summary>Searches that may wait for a turn; beyond it a search answers 503 with Retry-After.</summary>
    public int SearchQueueLimit { get; set; } = 1000;

    public bool UsesOpenSearch => string.Equals(Engine, "opensearch", StringComparison.OrdinalIgnoreCase);

    public SearchOptions Validate()
    {
        if (!UsesOpenSearch && !string.Equals(Engine, "postgres", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"Headless:Search:Engine is '{Engine}'; use 'postgres' or 'opensearch'.");
        }
        if (RankPool is < 1 or > 100_000 || FacetSample is < 1 or > 1_000_000)
        {
            throw new InvalidOperationException("Headless:Search:RankPool is 1-100000 and Headless:Search:FacetSample is 1-1000000.");
        }
        if (TotalCap is < 1 or > 1_000_000 || CountCacheEntries is < 1 or > 1_000_000
            || CountCacheTtl < TimeSpan.Zero || CountCacheTtl > TimeSpan.FromMinutes(5))
        {
            throw new InvalidOperationException("Headless:Search:TotalCap is 1-1000000, CountCacheEntries 1-1000000 and CountCacheTtl 0-5 minutes.");
        }
        if (MaxConcurrentSearches is < 1 or > 1000 || SearchQueueLimit is < 0 or > 100_000)
        {
            throw new InvalidOperationException("Headless:Search:MaxConcurrentSearches is 1-1000 and Headless:Search:SearchQueueLimit 0-100000.");
        }
        if (UsesOpenSearch && !Uri.TryCreate(OpenSearch.Url, UriKind.Absolute, out _))
        {
            throw new InvalidOperationException("Headless:Search:Engine is 'opensearch' but Headless:Search:OpenSearch:Url is not an absolute URL.");
        }
        return this;
    }
}

public sealed class OpenSearchOptions
{
    /// <summary>The cluster endpoint, e.g. https://search-shop-abc.eu-west-1.es.amazonaws.com.</summary>
    public string? Url { get; set; }

    /// <summary>Basic auth (self-managed clusters). Ignored when <see cref="Region"/> is set.</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>Set for Amazon OpenSearch Service: requests are SigV4-signed for this region with the
    /// default AWS credentials (environment, profile, or the task role).</summary>
    public string? Region { get; set; }

    /// <summary>The alias searched is <c>{IndexPrefix}products</c>; versioned indices behind it are
    /// <c>{IndexPrefix}products-v{timestamp}</c>.</summary>
    public string IndexPrefix { get; set; } = "headless-";
}
