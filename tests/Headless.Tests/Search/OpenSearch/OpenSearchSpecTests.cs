using System.Text.Json.Nodes;
using Headless.Api.Features.Search;
using Headless.Api.Features.Search.OpenSearch;

namespace Headless.Tests.Search.OpenSearch;

/// <summary>Every request body the OpenSearch client builds validates against the official OpenSearch
/// API specification (no OpenSearch server can run here). The validator is first shown to accept the
/// specification's own example requests and to reject broken ones, so a pass means something.</summary>
public sealed class OpenSearchSpecTests
{
    private static OpenSearchSpec Spec => OpenSearchSpec.Instance;

    private static readonly SearchDocuments.Row SampleDocument = new()
    {
        ProductId = Guid.CreateVersion7(),
        Slug = "organic-linen-napkin",
        Title = "Organic Linen Napkin",
        Description = "Stonewashed, crème-coloured.",
        Tags = ["organic", "plastic-free"],
        MinPrice = 1295,
        CreatedAt = new DateTime(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc),
        CategoryIds = [Guid.CreateVersion7(), Guid.CreateVersion7()],
        CategoryNames = "Home & Living Table Linen",
        Options = ["colour=natural", "size=large"],
        InStock = true,
    };

    private static void AssertValid(JsonNode body, JsonNode schema, string what)
    {
        var errors = Spec.Validate(body, schema);
        Assert.True(errors.Count == 0, $"{what} does not validate against the OpenSearch specification:\n  {string.Join("\n  ", errors.Take(10))}\nbody: {body.ToJsonString()}");
    }

    private static SearchQuery Query(string? q = null, string? sort = null, bool facets = false, bool inStock = false,
        string? category = null, long? min = null, long? max = null, string[]? option = null, string[]? tag = null, string? cursor = null)
    {
        var query = SearchQuery.Parse(q, category, min, max, option, tag, inStock, sort, 20, null, facets, out var errors);
        Assert.Empty(errors);
        if (cursor is not null)
        {
            var parts = cursor.Split('|');
            query = query with { After = new SearchCursor(query.Sort, query.Fingerprint(), parts[0] == "1", parts[1], Guid.CreateVersion7()) };
        }
        return query;
    }

    public static TheoryData<string> SearchCases => new(SearchBodies().Keys);

    private static Dictionary<string, (SearchQuery Query, Guid? Category)> SearchBodies() => new()
    {
        ["browse newest"] = (Query(), null),
        ["words, relevance"] = (Query("linen napkin"), null),
        ["words with every filter and facets"] = (Query("linen", facets: true, inStock: true, category: "table-linen", min: 500, max: 5000,
            option: ["colour:natural", "colour:Crème", "size:large"], tag: ["organic", "plastic-free"]), Guid.CreateVersion7()),
        ["price ascending, next page"] = (Query(sort: "price_asc", cursor: "1|1295"), null),
        ["price descending, next page"] = (Query(sort: "price_desc", cursor: "0|990"), null),
        ["newest, next page"] = (Query(sort: "newest", cursor: "1|1767268800000"), null),
        ["relevance, next page"] = (Query("linen", cursor: "1|3.1415926"), null),
        ["facets only"] = (Query(facets: true), null),
    };

    [Fact]
    public void The_specification_test_skips_itself_with_a_reason_when_shared_is_absent()
    {
        var attribute = new OpenSearchSpecFactAttribute();
        Assert.Equal(File.Exists(OpenSearchSpec.SpecPath), attribute.Skip is null);
    }

    [OpenSearchSpecFact]
    public void The_validator_accepts_the_specifications_own_search_examples_and_rejects_broken_bodies()
    {
        var stories = Directory.GetFiles(Path.Combine(OpenSearchSpec.Folder, "stories", "search"), "*.yaml", SearchOption.AllDirectories)
            .Where(f => !f.Contains("knn", StringComparison.Ordinal) && !f.Contains("pipeline", StringComparison.Ordinal)
                        && !f.Contains("agentic", StringComparison.Ordinal) && !f.Contains("hybrid", StringComparison.Ordinal));
        var schema = Spec.RequestBody("search");
        var checkedBodies = 0;
        foreach (var file in stories)
        {
            var story = Yaml.Load(file);
            foreach (var chapter in story["chapters"]?.AsArray() ?? [])
            {
                if (chapter?["path"]?.GetValue<string>() is { } path && path.EndsWith("_search", StringComparison.Ordinal)
                    && chapter["request"]?["payload"] is JsonObject payload)
                {
                    AssertValid(payload, schema, $"{Path.GetFileName(file)}: {chapter["synopsis"]}");
                    checkedBodies++;
                }
            }
        }
        Assert.True(checkedBodies >= 20, $"only {checkedBodies} example search bodies found");

        // Teeth: wrong types, unknown enum values and misspelt query types are caught.
        Assert.NotEmpty(Spec.Validate(JsonNode.Parse("""{"size": "ten"}"""), schema));
        Assert.NotEmpty(Spec.Validate(JsonNode.Parse("""{"query": {"function_score": {"boost_mode": "sideways"}}}"""), schema));
        Assert.NotEmpty(Spec.Validate(JsonNode.Parse("""{"query": {"bool": {"filter": [{"term": {"in_stock": {"value": {"nested": 1}}}}]}}}"""), schema));
        Assert.NotEmpty(Spec.Validate(JsonNode.Parse("""{"sort": [{"price": {"order": "upwards"}}]}"""), schema));
        Assert.NotEmpty(Spec.Validate(JsonNode.Parse("""{"aggs": {"x": {"range": {"field": "p", "ranges": "all"}}}}"""), schema));
        Assert.NotEmpty(Spec.Validate(JsonNode.Parse("""{"query": {"mtach": {"title": "linen"}}}"""), schema));
        Assert.NotEmpty(Spec.Validate(JsonNode.Parse("""{"query": {"function_score": {"functions": [{"weight": "half"}]}}}"""), schema));
    }

    [OpenSearchSpecTheory]
    [MemberData(nameof(SearchCases))]
    public void Search_requests_validate(string name)
    {
        var (query, category) = SearchBodies()[name];
        AssertValid(OpenSearchRequests.Search(query, 26, category), Spec.RequestBody("search"), name);
    }

    [OpenSearchSpecTheory]
    [MemberData(nameof(SearchCases))]
    public void Count_requests_validate(string name)
    {
        var (query, category) = SearchBodies()[name];
        var body = OpenSearchRequests.Count(query, category, 1000);
        AssertValid(body, Spec.RequestBody("search"), name + " (count)");
        Assert.Equal(1000, body["track_total_hits"]!.GetValue<int>());
        Assert.Equal(0, body["size"]!.GetValue<int>());
        Assert.Equal(query.Facets, body.ContainsKey("aggs"));
    }

    [OpenSearchSpecFact]
    public void Type_ahead_requests_validate() =>
        AssertValid(OpenSearchRequests.Suggest(["bamboo", "tooth"], 5), Spec.RequestBody("search"), "suggest");

    [OpenSearchSpecFact]
    public void The_index_definition_with_explicit_mappings_and_analyzers_validates() =>
        AssertValid(OpenSearchRequests.IndexDefinition(), Spec.RequestBody("indices.create"), "index definition");

    [OpenSearchSpecFact]
    public void Bulk_lines_validate_as_operations_and_documents_match_the_mapping()
    {
        var lines = OpenSearchRequests.Bulk("headless-products-v1", [SampleDocument], [Guid.CreateVersion7()]);
        var body = new JsonArray([.. lines.Select(l => (JsonNode)l.DeepClone())]);
        AssertValid(body, Spec.RequestBody("bulk", "application/x-ndjson"), "bulk body");
        AssertValid(lines[0], Spec.Schema("_core.bulk___OperationContainer"), "bulk index action");
        AssertValid(lines[2], Spec.Schema("_core.bulk___OperationContainer"), "bulk delete action");

        // The document has exactly the mapped fields (the mapping is strict) with the mapped JSON types.
        var mapped = OpenSearchRequests.IndexDefinition()["mappings"]!["properties"]!.AsObject();
        var document = lines[1];
        Assert.Equal(mapped.Select(p => p.Key).Order(), document.Select(p => p.Key).Order());
        foreach (var (field, value) in document)
        {
            var type = mapped[field]!["type"]!.GetValue<string>();
            var ok = type switch
            {
                "long" => value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number,
                "boolean" => value is JsonValue v && v.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False,
                "date" => value is JsonValue v && DateTime.TryParse(v.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, out _),
                _ => value is JsonArray a ? a.All(x => x is JsonValue) : value is JsonValue,
            };
            Assert.True(ok, $"{field} ({type}) = {value?.ToJsonString()}");
        }
        var ndjson = OpenSearchRequests.Ndjson(lines);
        Assert.EndsWith("\n", ndjson, StringComparison.Ordinal);
        Assert.Equal(3, ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [OpenSearchSpecFact]
    public void The_alias_swap_validates_and_is_one_atomic_call()
    {
        var body = OpenSearchRequests.SwapAlias("headless-products", "headless-products-v2", ["headless-products-v1"]);
        AssertValid(body, Spec.RequestBody("indices.update_aliases"), "alias swap");
        var actions = body["actions"]!.AsArray();
        Assert.Equal(["remove", "add"], actions.Select(a => a!.AsObject().Single().Key));
    }
}

public sealed class OpenSearchSpecTheoryAttribute : TheoryAttribute
{
    public OpenSearchSpecTheoryAttribute()
    {
        if (!File.Exists(OpenSearchSpec.SpecPath))
        {
            Skip = $"The OpenSearch API specification is not at {OpenSearchSpec.SpecPath} (../shared/reference/opensearch/ is absent).";
        }
    }
}
