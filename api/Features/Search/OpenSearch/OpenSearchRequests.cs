using System.Globalization;
using System.Text.Json.Nodes;

namespace Headless.Api.Features.Search.OpenSearch;

/// <summary>
/// Every request body the OpenSearch engine sends, built as plain JSON so tests can validate each one
/// against the official OpenSearch API specification: the index definition (settings, analyzers,
/// explicit mappings), the search (query DSL, filters, stock boost, sort, search_after, aggregations),
/// type-ahead, bulk lines and the atomic alias swap.
/// </summary>
public static class OpenSearchRequests
{
    public const string FoldedEnglish = "folded_english";
    public const string Autocomplete = "autocomplete";
    public const string FoldedSimple = "folded_simple";

    /// <summary>`PUT /{index}`: strict mappings, English stemming with accents folded (as the PostgreSQL
    /// engine's `search_english`), edge n-grams on titles for type-ahead.</summary>
    public static JsonObject IndexDefinition(int shards = 1, int replicas = 1) => new()
    {
        ["settings"] = new JsonObject
        {
            ["index"] = new JsonObject { ["number_of_shards"] = shards, ["number_of_replicas"] = replicas },
            ["analysis"] = new JsonObject
            {
                ["filter"] = new JsonObject
                {
                    ["english_stop"] = new JsonObject { ["type"] = "stop", ["stopwords"] = "_english_" },
                    ["english_stemmer"] = new JsonObject { ["type"] = "stemmer", ["language"] = "english" },
                    ["prefixes"] = new JsonObject { ["type"] = "edge_ngram", ["min_gram"] = 1, ["max_gram"] = 20 },
                },
                ["analyzer"] = new JsonObject
                {
                    [FoldedEnglish] = new JsonObject
                    {
                        ["type"] = "custom",
                        ["tokenizer"] = "standard",
                        ["filter"] = new JsonArray("lowercase", "asciifolding", "english_stop", "english_stemmer"),
                    },
                    [Autocomplete] = new JsonObject
                    {
                        ["type"] = "custom",
                        ["tokenizer"] = "standard",
                        ["filter"] = new JsonArray("lowercase", "asciifolding", "prefixes"),
                    },
                    [FoldedSimple] = new JsonObject
                    {
                        ["type"] = "custom",
                        ["tokenizer"] = "standard",
                        ["filter"] = new JsonArray("lowercase", "asciifolding"),
                    },
                },
            },
        },
        ["mappings"] = new JsonObject
        {
            ["dynamic"] = "strict",
            ["properties"] = new JsonObject
            {
                ["product_id"] = Keyword(),
                ["slug"] = Keyword(),
                ["title"] = new JsonObject
                {
                    ["type"] = "text",
                    ["analyzer"] = FoldedEnglish,
                    ["fields"] = new JsonObject
                    {
                        ["prefix"] = new JsonObject { ["type"] = "text", ["analyzer"] = Autocomplete, ["search_analyzer"] = FoldedSimple },
                        ["raw"] = Keyword(),
                    },
                },
                ["category_names"] = new JsonObject { ["type"] = "text", ["analyzer"] = FoldedEnglish },
                ["tags"] = new JsonObject
                {
                    ["type"] = "keyword",
                    ["fields"] = new JsonObject { ["text"] = new JsonObject { ["type"] = "text", ["analyzer"] = FoldedEnglish } },
                },
                ["description"] = new JsonObject { ["type"] = "text", ["analyzer"] = FoldedEnglish },
                ["category_ids"] = Keyword(),
                ["options"] = Keyword(),
                ["min_price"] = new JsonObject { ["type"] = "long" },
                ["in_stock"] = new JsonObject { ["type"] = "boolean" },
                ["created_at"] = new JsonObject { ["type"] = "date", ["format"] = "strict_date_optional_time" },
            },
        },
    };

    private static JsonObject Keyword() => new() { ["type"] = "keyword" };

    /// <summary>The document of one product, as the index mapping expects it.</summary>
    public static JsonObject Document(SearchDocuments.Row d) => new()
    {
        ["product_id"] = d.ProductId.ToString(),
        ["slug"] = d.Slug,
        ["title"] = d.Title,
        ["category_names"] = d.CategoryNames,
        ["tags"] = new JsonArray([.. d.Tags.Select(t => (JsonNode)t)]),
        ["description"] = d.Description,
        ["category_ids"] = new JsonArray([.. d.CategoryIds.Select(c => (JsonNode)c.ToString())]),
        ["options"] = new JsonArray([.. d.Options.Select(o => (JsonNode)o)]),
        ["min_price"] = d.MinPrice,
        ["in_stock"] = d.InStock,
        ["created_at"] = DateTime.SpecifyKind(d.CreatedAt, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
    };

    /// <summary>`POST /_bulk` lines: index every document, delete the ids that are no longer indexable.</summary>
    public static List<JsonObject> Bulk(string index, IEnumerable<SearchDocuments.Row> documents, IEnumerable<Guid> deletes)
    {
        var lines = new List<JsonObject>();
        foreach (var d in documents)
        {
            lines.Add(new JsonObject { ["index"] = new JsonObject { ["_index"] = index, ["_id"] = d.ProductId.ToString() } });
            lines.Add(Document(d));
        }
        foreach (var id in deletes)
        {
            lines.Add(new JsonObject { ["delete"] = new JsonObject { ["_index"] = index, ["_id"] = id.ToString() } });
        }
        return lines;
    }

    public static string Ndjson(IEnumerable<JsonObject> lines) => string.Concat(lines.Select(l => l.ToJsonString() + "\n"));

    /// <summary>`POST /_aliases`: point the alias at the new index and away from the old ones, atomically.</summary>
    public static JsonObject SwapAlias(string alias, string newIndex, IEnumerable<string> oldIndices)
    {
        var actions = new JsonArray();
        foreach (var old in oldIndices)
        {
            actions.Add(new JsonObject { ["remove"] = new JsonObject { ["index"] = old, ["alias"] = alias } });
        }
        actions.Add(new JsonObject { ["add"] = new JsonObject { ["index"] = newIndex, ["alias"] = alias, ["is_write_index"] = true } });
        return new JsonObject { ["actions"] = actions };
    }

    /// <summary>`POST /{alias}/_search` for a page of a <see cref="SearchQuery"/>: the same matching, filters and
    /// ordering rules as the PostgreSQL engine. Fuzziness AUTO gives one-letter typo tolerance. No total and no
    /// aggregations: <see cref="Count"/> asks for those.</summary>
    public static JsonObject Search(SearchQuery query, int take, Guid? categoryId) => Body(query, take, categoryId, totalCap: null);

    /// <summary>`POST /{alias}/_search` for the counts of a <see cref="SearchQuery"/>: no hits, the total tracked
    /// up to <paramref name="totalCap"/> (`hits.total.relation` "gte" beyond it) and, when asked, the facet aggregations.</summary>
    public static JsonObject Count(SearchQuery query, Guid? categoryId, int totalCap) => Body(query, 0, categoryId, totalCap);

    private static JsonObject Body(SearchQuery query, int take, Guid? categoryId, int? totalCap)
    {
        var filters = new JsonArray();
        if (categoryId is { } category)
        {
            filters.Add(Term("category_ids", category.ToString()));
        }
        if (query.MinPrice is not null || query.MaxPrice is not null)
        {
            var range = new JsonObject();
            if (query.MinPrice is { } min)
            {
                range["gte"] = min;
            }
            if (query.MaxPrice is { } max)
            {
                range["lte"] = max;
            }
            filters.Add(new JsonObject { ["range"] = new JsonObject { ["min_price"] = range } });
        }
        foreach (var (name, values) in query.Options)
        {
            filters.Add(new JsonObject
            {
                ["terms"] = new JsonObject { ["options"] = new JsonArray([.. values.Select(v => (JsonNode)$"{name}={Fold(v)}")]) },
            });
        }
        foreach (var tag in query.Tags)
        {
            filters.Add(Term("tags", tag));
        }
        if (query.InStockOnly)
        {
            filters.Add(new JsonObject { ["term"] = new JsonObject { ["in_stock"] = true } });
        }

        var boolQuery = new JsonObject { ["filter"] = filters };
        if (query.HasWords)
        {
            boolQuery["must"] = new JsonArray(new JsonObject
            {
                ["multi_match"] = new JsonObject
                {
                    ["query"] = string.Join(' ', query.Words),
                    ["fields"] = new JsonArray("title^4", "category_names^2", "tags.text^2", "description"),
                    ["type"] = "most_fields",
                    ["operator"] = "and",
                    ["fuzziness"] = "AUTO",
                    ["prefix_length"] = 1,
                },
            });
        }
        JsonNode queryNode = new JsonObject { ["bool"] = boolQuery };
        if (query.HasWords)
        {
            // Function-based stock boost: sold-out products' relevance counts SoldOutFactor (as in PostgreSQL).
            queryNode = new JsonObject
            {
                ["function_score"] = new JsonObject
                {
                    ["query"] = queryNode,
                    ["functions"] = new JsonArray(new JsonObject
                    {
                        ["filter"] = new JsonObject { ["term"] = new JsonObject { ["in_stock"] = false } },
                        ["weight"] = SearchQuery.SoldOutFactor,
                    }),
                    ["score_mode"] = "multiply",
                    ["boost_mode"] = "multiply",
                },
            };
        }

        var body = new JsonObject
        {
            ["size"] = take,
            ["track_total_hits"] = totalCap is { } cap ? JsonValue.Create(cap) : JsonValue.Create(false),
            ["_source"] = false,
            ["query"] = queryNode,
        };
        if (totalCap is not null)
        {
            if (query.Facets)
            {
                body["aggs"] = Aggregations();
            }
            return body;
        }
        body["sort"] = query.Sort switch
        {
            "relevance" => new JsonArray(Sort("_score", "desc"), Sort("product_id", "asc")),
            "price_asc" => new JsonArray(Sort("in_stock", "desc"), Sort("min_price", "asc"), Sort("product_id", "asc")),
            "price_desc" => new JsonArray(Sort("in_stock", "desc"), Sort("min_price", "desc"), Sort("product_id", "desc")),
            _ => new JsonArray(Sort("in_stock", "desc"), Sort("created_at", "desc"), Sort("product_id", "desc")),
        };
        if (query.After is { } after)
        {
            body["search_after"] = query.Sort switch
            {
                "relevance" => new JsonArray(after.Score, after.Id.ToString()),
                _ => new JsonArray(after.InStock ? 1 : 0, after.LongKey, after.Id.ToString()),
            };
        }
        return body;
    }

    private static JsonObject Aggregations() => new()
    {
        ["categories"] = new JsonObject { ["terms"] = new JsonObject { ["field"] = "category_ids", ["size"] = 500 } },
        ["options"] = new JsonObject { ["terms"] = new JsonObject { ["field"] = "options", ["size"] = 500 } },
        ["availability"] = new JsonObject { ["terms"] = new JsonObject { ["field"] = "in_stock", ["size"] = 2 } },
        ["price_bands"] = new JsonObject
        {
            ["range"] = new JsonObject
            {
                ["field"] = "min_price",
                ["keyed"] = false,
                ["ranges"] = new JsonArray([.. PriceBands.All.Select(b =>
                        {
                            var r = new JsonObject { ["key"] = b.Key };
                            if (b.From is { } from)
                            {
                                r["from"] = from;
                            }
                            if (b.To is { } to)
                            {
                                r["to"] = to;
                            }
                            return (JsonNode)r;
                        })]),
            },
        },
    };

    /// <summary>`POST /{alias}/_search` for type-ahead: all words, the last one as a prefix of a title word.</summary>
    public static JsonObject Suggest(IReadOnlyList<string> words, int limit) => new()
    {
        ["size"] = limit,
        ["_source"] = new JsonArray("product_id", "slug", "title", "in_stock"),
        ["query"] = new JsonObject
        {
            ["match"] = new JsonObject
            {
                ["title.prefix"] = new JsonObject { ["query"] = string.Join(' ', words), ["operator"] = "and" },
            },
        },
        ["sort"] = new JsonArray(Sort("in_stock", "desc"), Sort("_score", "desc"), Sort("product_id", "asc")),
    };

    private static JsonObject Term(string field, string value) => new() { ["term"] = new JsonObject { [field] = value } };

    private static JsonObject Sort(string field, string order) => new() { [field] = new JsonObject { ["order"] = order } };

    /// <summary>Lowercase without accents, as option values are stored (PostgreSQL's search_fold).</summary>
    public static string Fold(string value)
    {
        var decomposed = value.ToLowerInvariant().Normalize(System.Text.NormalizationForm.FormD);
        var kept = decomposed.Where(c => System.Globalization.CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark);
        return new string([.. kept]).Normalize(System.Text.NormalizationForm.FormC);
    }
}
