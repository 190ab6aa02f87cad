using System.Text.Json.Nodes;
using Dapper;
using Headless.Contracts.Search;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Headless.Api.Features.Search.OpenSearch;

/// <summary>Search on OpenSearch through the alias <c>{IndexPrefix}products</c>. Category slugs are
/// resolved (and facet ids named) from PostgreSQL, the system of record.</summary>
public sealed class OpenSearchEngine(OpenSearchClient client, NpgsqlDataSource db, IOptions<SearchOptions> options) : ISearchEngine
{
    public string Name => "opensearch";

    public string Alias => options.Value.OpenSearch.IndexPrefix + "products";

    public async Task<EngineResult> SearchAsync(SearchQuery query, int take, CancellationToken ct)
    {
        var (categoryId, _) = await CategoryAsync(query, facets: false, ct);
        var response = await client.SendAsync(HttpMethod.Post, $"{Alias}/_search", OpenSearchRequests.Search(query, take, categoryId), ct);
        var page = OpenSearchResponses.Search(response!);
        var candidates = page.Hits.Select(h => OpenSearchResponses.ToCandidate(h, query.Sort)).ToList();
        return new EngineResult(candidates, query.Words, Corrected: false);
    }

    /// <summary>The total as OpenSearch tracks it up to the cap (`hits.total.relation` "gte" beyond) and the
    /// facets from its aggregations, which count every match (never estimated).</summary>
    public async Task<EngineCounts> CountAsync(SearchQuery query, CancellationToken ct)
    {
        var (categoryId, categories) = await CategoryAsync(query, query.Facets, ct);
        var response = await client.SendAsync(HttpMethod.Post, $"{Alias}/_search", OpenSearchRequests.Count(query, categoryId, options.Value.TotalCap), ct);
        var page = OpenSearchResponses.Search(response!);
        var facets = query.Facets && page.Aggregations is { } aggs ? OpenSearchResponses.Facets(aggs, categories) : null;
        return new EngineCounts(Math.Min(page.Total, options.Value.TotalCap), page.TotalIsLowerBound, facets);
    }

    private async Task<(Guid? Id, Dictionary<string, (string Slug, string Name, string? ParentSlug)> Categories)> CategoryAsync(
        SearchQuery query, bool facets, CancellationToken ct)
    {
        var categories = query.CategorySlug is not null || facets ? await CategoriesAsync(ct) : [];
        if (query.CategorySlug is null)
        {
            return (null, categories);
        }
        var found = categories.FirstOrDefault(c => c.Value.Slug == query.CategorySlug);
        if (found.Key is null)
        {
            throw new UnknownCategoryException(query.CategorySlug);
        }
        return (Guid.Parse(found.Key), categories);
    }

    public async Task<EngineSuggestions> SuggestAsync(IReadOnlyList<string> words, int limit, CancellationToken ct)
    {
        var response = await client.SendAsync(HttpMethod.Post, $"{Alias}/_search", OpenSearchRequests.Suggest(words, limit), ct);
        var page = OpenSearchResponses.Search(response!);
        var products = page.Hits.Where(h => h.Source is not null).Select(h => new ProductSuggestion(
            Guid.Parse(h.Id), h.Source!["slug"]!.GetValue<string>(), h.Source["title"]!.GetValue<string>(),
            h.Source["in_stock"]?.GetValue<bool>() ?? false)).ToList();
        // Completions and categories come from PostgreSQL's word list and category table, as with the default engine.
        var last = OpenSearchRequests.Fold(words[^1]);
        var head = string.Join(' ', words.Take(words.Count - 1).Select(OpenSearchRequests.Fold));
        await using var conn = await db.OpenConnectionAsync(ct);
        var queries = (await conn.QueryAsync<string>(new CommandDefinition(
            "select trim(@head || ' ' || word) from search_words where word like @prefix order by docs desc, length(word), word limit @limit",
            new { head, prefix = last + "%", limit }, cancellationToken: ct))).ToList();
        var categories = (await conn.QueryAsync<CategorySuggestion>(new CommandDefinition("""
            select slug, name from categories
            where search_fold(name) like @last || '%' or search_fold(name) like '% ' || @last || '%'
            order by parent_id is not null, position, slug limit @limit
            """, new { last, limit }, cancellationToken: ct))).ToList();
        return new EngineSuggestions(queries, products, categories);
    }

    private async Task<Dictionary<string, (string Slug, string Name, string? ParentSlug)>> CategoriesAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = await conn.QueryAsync<(Guid Id, string Slug, string Name, string? ParentSlug)>(new CommandDefinition(
            "select c.id, c.slug, c.name, p.slug from categories c left join categories p on p.id = c.parent_id", cancellationToken: ct));
        return rows.ToDictionary(r => r.Id.ToString(), r => (r.Slug, r.Name, r.ParentSlug));
    }

    internal static JsonObject Definition => OpenSearchRequests.IndexDefinition();
}
