using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Amazon;
using Amazon.Runtime;
using Headless.Api.Features.Search;
using Headless.Api.Features.Search.OpenSearch;
using Microsoft.Extensions.Logging.Abstractions;

namespace Headless.Tests.Search.OpenSearch;

/// <summary>The client parses OpenSearch's answers (the specification's own response examples where it
/// has them), signs requests with SigV4 exactly as AWS documents it, and sends basic auth otherwise.</summary>
public sealed class OpenSearchClientTests
{
    private static IEnumerable<(string File, JsonObject Chapter)> StoryChapters(string relative)
    {
        var story = Yaml.Load(Path.Combine(OpenSearchSpec.Folder, "stories", relative));
        return (story["chapters"]?.AsArray() ?? []).OfType<JsonObject>().Select(c => (relative, c));
    }

    private static JsonNode Response(string relative, string synopsisStart) =>
        StoryChapters(relative).Select(c => c.Chapter).First(c => c["synopsis"]!.GetValue<string>().StartsWith(synopsisStart, StringComparison.Ordinal))
            ["response"]!["payload"]!;

    [OpenSearchSpecFact]
    public void Terms_and_range_aggregations_from_the_specification_examples_become_facets()
    {
        var terms = Response("search/aggregations/terms.yaml", "Aggregate with terms")["aggregations"]!["directors"]!.DeepClone();
        var range = Response("search/aggregations/range.yaml", "Aggregate with range")["aggregations"]!["20th_century"]!.DeepClone();
        // Our aggregation names over the shapes OpenSearch answers with.
        var aggs = new JsonObject
        {
            ["options"] = JsonNode.Parse("""{"buckets": [{"key": "size=large", "doc_count": 7}, {"key": "colour=natural", "doc_count": 3}]}"""),
            ["categories"] = terms,
            ["price_bands"] = range,
            ["availability"] = JsonNode.Parse("""{"buckets": [{"key": 1, "key_as_string": "true", "doc_count": 5}, {"key": 0, "key_as_string": "false", "doc_count": 2}]}"""),
        };
        var facets = OpenSearchResponses.Facets(aggs, new Dictionary<string, (string, string, string?)>
        {
            ["Bennett Miller"] = ("bennett-miller", "Bennett Miller", null),
        });
        Assert.Equal(2, facets.Categories.Single(c => c.Slug == "bennett-miller").Count);
        Assert.Equal([("colour", "natural", 3L), ("size", "large", 7L)], facets.Options.Select(o => (o.Name, o.Value, o.Count)));
        Assert.Equal(5, facets.Availability.InStock);
        Assert.Equal(2, facets.Availability.SoldOut);
        Assert.Equal(PriceBands.All.Length, facets.PriceBands.Count);
    }

    [OpenSearchSpecFact]
    public void Range_buckets_without_keys_are_matched_by_their_bounds()
    {
        var aggs = new JsonObject
        {
            ["price_bands"] = JsonNode.Parse("""{"buckets": [{"to": 1000.0, "doc_count": 4}, {"from": 1000.0, "to": 2500.0, "doc_count": 6}, {"from": 10000.0, "doc_count": 1}]}"""),
        };
        var facets = OpenSearchResponses.Facets(aggs, new Dictionary<string, (string, string, string?)>());
        Assert.Equal([4L, 6, 0, 0, 1], facets.PriceBands.Select(b => b.Count));
    }

    [OpenSearchSpecFact]
    public void Search_hits_with_sort_values_become_candidates_and_cursor_keys()
    {
        // Shaped as OpenSearch answers a sorted search (hits.total object, _score null when sorting by fields).
        var response = JsonNode.Parse("""
            {"took": 3, "timed_out": false, "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
             "hits": {"total": {"value": 42, "relation": "eq"}, "max_score": null,
                      "hits": [{"_index": "headless-products-v1", "_id": "0198bd50-d118-7eaf-a106-0c069aac04ff", "_score": null,
                                "sort": [1, 1767268800000, "0198bd50-d118-7eaf-a106-0c069aac04ff"]},
                               {"_index": "headless-products-v1", "_id": "019e78b7-53c8-773f-98c9-f2499edc4bae", "_score": null,
                                "sort": [0, 1767268700000, "019e78b7-53c8-773f-98c9-f2499edc4bae"]}]}}
            """)!;
        var page = OpenSearchResponses.Search(response);
        Assert.Equal(42, page.Total);
        Assert.False(page.TotalIsLowerBound);
        var capped = OpenSearchResponses.Search(JsonNode.Parse("""{"hits": {"total": {"value": 1000, "relation": "gte"}, "hits": []}}""")!);
        Assert.Equal(1000, capped.Total);
        Assert.True(capped.TotalIsLowerBound);
        var candidates = page.Hits.Select(h => OpenSearchResponses.ToCandidate(h, "newest")).ToList();
        Assert.Equal([true, false], candidates.Select(c => c.InStock));
        Assert.Equal("1767268800000", candidates[0].Key);

        var scored = JsonNode.Parse("""{"hits": {"total": 7, "hits": [{"_id": "0198bd50-d118-7eaf-a106-0c069aac04ff", "_score": 2.7182817, "sort": [2.7182817, "0198bd50-d118-7eaf-a106-0c069aac04ff"]}]}}""")!;
        var relevance = OpenSearchResponses.ToCandidate(OpenSearchResponses.Search(scored).Hits[0], "relevance");
        Assert.Equal(2.7182817, double.Parse(relevance.Key, CultureInfo.InvariantCulture));
        Assert.Equal(7, OpenSearchResponses.Search(scored).Total);

        // The specification's own example answers parse too.
        foreach (var (file, chapter) in StoryChapters("search/search_after.yaml").Concat(StoryChapters("search/sort_by_field.yaml")))
        {
            if (chapter["response"]?["payload"] is JsonObject payload && payload.ContainsKey("hits"))
            {
                var parsed = OpenSearchResponses.Search(payload);
                Assert.True(parsed.Total >= 0, file);
            }
        }
    }

    [OpenSearchSpecFact]
    public void Bulk_answers_report_real_failures_only_and_alias_listings_name_the_indices()
    {
        var bulk = Response("bulk.yaml", "Delete document");
        Assert.Empty(OpenSearchResponses.BulkFailures(bulk)); // a delete of a missing document is fine

        var failed = JsonNode.Parse("""
            {"took": 5, "errors": true, "items": [
              {"index": {"_index": "p", "_id": "1", "status": 201, "result": "created"}},
              {"index": {"_index": "p", "_id": "2", "status": 400, "error": {"type": "strict_dynamic_mapping_exception", "reason": "mapping set to strict"}}},
              {"delete": {"_index": "p", "_id": "3", "status": 404, "result": "not_found"}}]}
            """)!;
        var failures = OpenSearchResponses.BulkFailures(failed);
        Assert.Single(failures);
        Assert.Contains("strict_dynamic_mapping_exception", failures[0], StringComparison.Ordinal);

        var aliases = Response("alias/alias.yaml", "Get an alias from index");
        Assert.Equal(["games"], OpenSearchResponses.AliasIndices(aliases));
        Assert.Equal(("index_not_found_exception", "no such index [x]"),
            OpenSearchResponses.Error("""{"error": {"type": "index_not_found_exception", "reason": "no such index [x]"}, "status": 404}"""));
    }

    [Fact]
    public void Sig_v4_signatures_match_the_documented_algorithm()
    {
        var credentials = new BasicAWSCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        var at = new DateTime(2026, 11, 21, 12, 0, 0, DateTimeKind.Utc);
        var body = Encoding.UTF8.GetBytes("""{"query":{"match_all":{}}}""");
        var request = new HttpRequestMessage(HttpMethod.Post, "https://search-shop.eu-west-1.es.amazonaws.com/headless-products/_search?size=5")
        {
            Content = new ByteArrayContent(body) { Headers = { { "Content-Type", "application/json" } } },
        };
        var headers = SigV4Handler.SignedHeaders(request, body, RegionEndpoint.EUWest1, "es", credentials, at);
        var authorization = headers.Single(h => h.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase)).Value;
        var amzDate = headers.Single(h => h.Key.Equals("X-Amz-Date", StringComparison.OrdinalIgnoreCase)).Value;
        Assert.Equal("20261121T120000Z", amzDate);
        Assert.StartsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/eu-west-1/es/aws4_request, SignedHeaders=", authorization, StringComparison.Ordinal);

        // Recompute the signature from AWS's published steps, over the headers the signer says it signed.
        var signedNames = authorization.Split("SignedHeaders=")[1].Split(',')[0].Split(';');
        var all = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["host"] = "search-shop.eu-west-1.es.amazonaws.com", ["content-type"] = "application/json" };
        foreach (var (k, v) in headers)
        {
            all[k] = v;
        }
        var payloadHash = Hex(SHA256.HashData(body));
        var canonical = string.Join("\n",
            "POST", "/headless-products/_search", "size=5",
            string.Concat(signedNames.Select(n => $"{n}:{all[n].Trim()}\n")),
            string.Join(';', signedNames), payloadHash);
        var scope = "20261121/eu-west-1/es/aws4_request";
        var toSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        var key = Hmac(Hmac(Hmac(Hmac(Encoding.UTF8.GetBytes("AWS4" + "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), "20261121"), "eu-west-1"), "es"), "aws4_request");
        Assert.EndsWith("Signature=" + Hex(Hmac(key, toSign)), authorization, StringComparison.Ordinal);
        Assert.Contains("x-amz-content-sha256", signedNames);
        Assert.Equal(payloadHash, all["x-amz-content-sha256"]);
    }

    [Fact]
    public async Task Basic_auth_is_sent_when_configured_and_errors_become_typed_exceptions()
    {
        var seen = new List<HttpRequestMessage>();
        var handler = new Recorder(seen, HttpStatusCode.NotFound, """{"error": {"type": "index_not_found_exception", "reason": "no such index [headless-products]"}, "status": 404}""");
        var options = new OpenSearchOptions { Url = "http://127.0.0.1:1", Username = "shop", Password = "s3cret" };
        var client = OpenSearchClient.CreateWith(options, handler, NullLogger<OpenSearchClient>.Instance);
        var error = await Assert.ThrowsAsync<OpenSearchException>(() => client.SendAsync(HttpMethod.Post, "headless-products/_search", new JsonObject(), CancellationToken.None));
        Assert.Equal(HttpStatusCode.NotFound, error.Status);
        Assert.Equal("index_not_found_exception", error.ErrorType);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("shop:s3cret")), seen[0].Headers.Authorization!.ToString());
        Assert.Equal("http://127.0.0.1:1/headless-products/_search", seen[0].RequestUri!.ToString());
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    private sealed class Recorder(List<HttpRequestMessage> seen, HttpStatusCode status, string body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            seen.Add(request);
            return Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
        }
    }
}
