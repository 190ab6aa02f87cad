using System.Diagnostics;
using System.Globalization;
using Dapper;
using Headless.Contracts.Search;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Headless.Api.Features.Search.OpenSearch;

/// <summary>
/// Writes to OpenSearch. Incremental changes go through the alias (bulk index or delete). A full
/// rebuild creates a new versioned index (<c>{prefix}products-v{UTC timestamp}</c>) with the explicit
/// mappings, bulk-loads it, refreshes it, then swaps the alias to it in one `_aliases` call (searches
/// never see a half-built index) and deletes the old ones; products changed while it was building are
/// indexed again through the alias afterwards.
/// </summary>
public sealed class OpenSearchIndex(OpenSearchClient client, NpgsqlDataSource db, IOptions<SearchOptions> options, ILogger<OpenSearchIndex> log) : ISearchIndex
{
    private const int BatchSize = 1000;

    public string Name => "opensearch";

    private string Alias => options.Value.OpenSearch.IndexPrefix + "products";

    public async Task IndexProductsAsync(IReadOnlyCollection<Guid> productIds, CancellationToken ct)
    {
        if (productIds.Count > 0)
        {
            await WriteAsync(Alias, [.. productIds], refresh: false, ct);
        }
    }

    // The documents' flags are not at hand here to compare with, so a stock change rewrites its documents.
    public Task IndexStockAsync(IReadOnlyCollection<Guid> productIds, CancellationToken ct) => IndexProductsAsync(productIds, ct);

    private async Task<int> WriteAsync(string index, Guid[] ids, bool refresh, CancellationToken ct)
    {
        List<SearchDocuments.Row> docs;
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            docs = await SearchDocuments.LoadAsync(conn, ids, ct);
        }
        var present = docs.Select(d => d.ProductId).ToHashSet();
        var lines = OpenSearchRequests.Bulk(index, docs, ids.Where(id => !present.Contains(id)));
        var response = await client.SendNdjsonAsync(refresh ? "_bulk?refresh=wait_for" : "_bulk", OpenSearchRequests.Ndjson(lines), ct);
        var failures = OpenSearchResponses.BulkFailures(response!);
        if (failures.Count > 0)
        {
            throw new InvalidOperationException($"OpenSearch refused {failures.Count} bulk items, first: {failures[0]}");
        }
        return docs.Count;
    }

    public async Task<SearchReindexResult> RebuildAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        DateTime startedAt;
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            startedAt = await conn.ExecuteScalarAsync<DateTime>(new CommandDefinition("select now()", cancellationToken: ct));
        }
        var index = $"{Alias}-v{DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture)}";
        await client.SendAsync(HttpMethod.Put, index, OpenSearchRequests.IndexDefinition(), ct);
        long count = 0;
        var after = Guid.Empty;
        while (true)
        {
            Guid[] ids;
            await using (var conn = await db.OpenConnectionAsync(ct))
            {
                ids = await SearchDocuments.NextBatchAsync(conn, after, BatchSize, ct);
            }
            if (ids.Length == 0)
            {
                break;
            }
            count += await WriteAsync(index, ids, refresh: false, ct);
            after = ids[^1];
        }
        await client.SendAsync(HttpMethod.Post, $"{index}/_refresh", null, ct);

        var old = await client.ExistsAsync($"_alias/{Alias}", ct)
            ? OpenSearchResponses.AliasIndices((await client.SendAsync(HttpMethod.Get, $"_alias/{Alias}", null, ct))!)
            : [];
        await client.SendAsync(HttpMethod.Post, "_aliases", OpenSearchRequests.SwapAlias(Alias, index, old), ct);
        foreach (var previous in old)
        {
            await client.SendAsync(HttpMethod.Delete, previous, null, ct);
        }

        // Changes committed while the new index was being filled went to the old one: write them again.
        Guid[] changed;
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            changed = (await conn.QueryAsync<Guid>(new CommandDefinition("""
                select id from products where updated_at >= @startedAt
                union select v.product_id from variants v join inventory i on i.sku = v.sku where i.updated_at >= @startedAt
                """, new { startedAt }, cancellationToken: ct))).ToArray();
        }
        for (var i = 0; i < changed.Length; i += BatchSize)
        {
            await WriteAsync(Alias, changed[i..Math.Min(i + BatchSize, changed.Length)], refresh: false, ct);
        }
        log.LogInformation("OpenSearch index {Index} built ({Documents} documents) and aliased as {Alias}; removed {Old}",
            index, count, Alias, string.Join(", ", old));
        return new SearchReindexResult(Name, count, index, clock.Elapsed.TotalSeconds);
    }

    public async Task<bool> IsEmptyAsync(CancellationToken ct) => !await client.ExistsAsync($"_alias/{Alias}", ct);
}
