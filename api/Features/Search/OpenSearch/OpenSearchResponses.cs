using System.Globalization;
using System.Text.Json.Nodes;
using Headless.Contracts.Search;

namespace Headless.Api.Features.Search.OpenSearch;

/// <summary>Parses OpenSearch's answers: search hits with their sort values, totals and aggregations;
/// bulk item failures; alias listings; error bodies.</summary>
public static class OpenSearchResponses
{
    public sealed record Hit(string Id, double? Score, JsonArray Sort, JsonObject? Source);

    public sealed record SearchPage(long Total, IReadOnlyList<Hit> Hits, JsonObject? Aggregations)
    {
        /// <summary>`hits.total.relation` is "gte": counting stopped at `track_total_hits`.</summary>
        public bool TotalIsLowerBound { get; init; }
    }

    public static SearchPage Search(JsonNode response)
    {
        var hits = response["hits"] ?? throw new FormatException("A search response without hits.");
        var total = hits["total"] switch
        {
            JsonObject t => (long)Number(t["value"]),
            JsonValue v => (long)Number(v),
            _ => 0,
        };
        var list = new List<Hit>();
        foreach (var hit in hits["hits"]?.AsArray() ?? [])
        {
            if (hit?["_id"] is null)
            {
                continue; // asked with `_id` suppressed (stored_fields: _none_): nothing to stand for
            }
            list.Add(new Hit(hit["_id"]!.GetValue<string>(),
                hit["_score"] is JsonValue score && score.TryGetValue<double>(out var s) ? s : null,
                hit["sort"] as JsonArray ?? [], hit["_source"] as JsonObject));
        }
        var lowerBound = hits["total"] is JsonObject relation && relation["relation"] is JsonValue r && r.TryGetValue<string>(out var text) && text == "gte";
        return new SearchPage(total, list, response["aggregations"] as JsonObject) { TotalIsLowerBound = lowerBound };
    }

    /// <summary>The candidate a hit stands for, with the cursor key of the sort it was found in.</summary>
    public static Candidate ToCandidate(Hit hit, string sort)
    {
        var values = hit.Sort;
        if (sort == "relevance")
        {
            var score = values.Count > 0 ? Number(values[0]) : hit.Score ?? 0;
            return new Candidate(Guid.Parse(hit.Id), InStock: true, score.ToString("R", CultureInfo.InvariantCulture));
        }
        var inStock = values.Count > 0 && Number(values[0]) > 0;
        var key = values.Count > 1 ? ((long)Number(values[1])).ToString(CultureInfo.InvariantCulture) : "0";
        return new Candidate(Guid.Parse(hit.Id), inStock, key);
    }

    private static double Number(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<int>(out var i) => i,
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? 1 : 0,
        JsonValue v when v.TryGetValue<string>(out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) => p,
        _ => 0,
    };

    /// <summary>Facets from the aggregations of <see cref="OpenSearchRequests.Search"/>.</summary>
    public static SearchFacets Facets(JsonObject aggs, IReadOnlyDictionary<string, (string Slug, string Name, string? ParentSlug)> categories)
    {
        var categoryFacets = Buckets(aggs, "categories")
            .Where(b => categories.ContainsKey(b.Key))
            .Select(b => { var c = categories[b.Key]; return new CategoryFacet(c.Slug, c.Name, c.ParentSlug, b.Count); })
            .OrderByDescending(f => f.Count).ThenBy(f => f.Slug, StringComparer.Ordinal).ToList();
        var options = Buckets(aggs, "options")
            .Select(b => { var eq = b.Key.IndexOf('=', StringComparison.Ordinal); return new OptionFacet(b.Key[..eq], b.Key[(eq + 1)..], b.Count); })
            .OrderBy(o => o.Name + "=" + o.Value, StringComparer.Ordinal).ToList();
        var prices = PriceBuckets(aggs);
        var stock = Buckets(aggs, "availability").ToDictionary(b => b.Key, b => b.Count);
        return new SearchFacets(categoryFacets,
            PriceBands.All.Select(b => new PriceBandFacet(b.Key, b.From, b.To, prices.GetValueOrDefault(b.Key))).ToList(),
            options,
            new AvailabilityFacet(stock.GetValueOrDefault("true") + stock.GetValueOrDefault("1"), stock.GetValueOrDefault("false") + stock.GetValueOrDefault("0")));
    }

    /// <summary>Range buckets by our band key; a bucket without its key is matched by its bounds.</summary>
    private static Dictionary<string, long> PriceBuckets(JsonObject aggs)
    {
        var counts = new Dictionary<string, long>();
        foreach (var bucket in aggs["price_bands"]?["buckets"]?.AsArray() ?? [])
        {
            var key = bucket!["key"]?.GetValue<string>();
            if (key is null || !PriceBands.All.Any(b => b.Key == key))
            {
                long? from = bucket["from"] is JsonValue f ? (long)Number(f) : null;
                long? to = bucket["to"] is JsonValue t ? (long)Number(t) : null;
                key = PriceBands.All.FirstOrDefault(b => b.From == from && b.To == to).Key;
            }
            if (key is not null)
            {
                counts[key] = counts.GetValueOrDefault(key) + (long)Number(bucket["doc_count"]);
            }
        }
        return counts;
    }

    private static IEnumerable<(string Key, long Count)> Buckets(JsonObject aggs, string name)
    {
        foreach (var bucket in aggs[name]?["buckets"]?.AsArray() ?? [])
        {
            // Boolean terms buckets carry key 1/0 and key_as_string "true"/"false".
            var key = bucket!["key_as_string"]?.GetValue<string>() ?? bucket["key"] switch
            {
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                JsonValue v => v.ToJsonString(),
                _ => "",
            };
            yield return (key, (long)Number(bucket["doc_count"]));
        }
    }

    /// <summary>The items of a bulk answer that failed (a delete of a missing document is not a failure).</summary>
    public static List<string> BulkFailures(JsonNode response)
    {
        var failures = new List<string>();
        if (response["errors"]?.GetValue<bool>() != true)
        {
            return failures;
        }
        foreach (var item in response["items"]?.AsArray() ?? [])
        {
            foreach (var (action, result) in item!.AsObject())
            {
                var status = (int)Number(result?["status"]);
                if (status >= 300 && !(action == "delete" && status == 404))
                {
                    failures.Add($"{action} {result?["_id"]}: {status} {result?["error"]?["type"]}");
                }
            }
        }
        return failures;
    }

    /// <summary>Index names from `GET /_alias/{name}` ({"index": {"aliases": {...}}}).</summary>
    public static List<string> AliasIndices(JsonNode response) => [.. response.AsObject().Select(kv => kv.Key)];

    public static (string? Type, string? Reason) Error(string body)
    {
        try
        {
            var error = JsonNode.Parse(body)?["error"];
            return error switch
            {
                JsonObject o => (o["type"]?.GetValue<string>(), o["reason"]?.GetValue<string>()),
                JsonValue v => (v.GetValue<string>(), null),
                _ => (null, null),
            };
        }
        catch (System.Text.Json.JsonException)
        {
            return (null, null);
        }
    }
}
