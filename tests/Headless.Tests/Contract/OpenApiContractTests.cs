using System.Text.Json.Nodes;
using Headless.Api.Platform.Hosting;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Contract;

public sealed class OpenApiContractTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static readonly string[] Methods = ["get", "put", "post", "patch", "delete"];

    [Fact]
    public async Task Committed_openapi_yaml_matches_what_the_api_serves()
    {
        var served = (await api.CreateClient().GetStringAsync("/openapi/v1.yaml")).ReplaceLineEndings("\n");
        var path = Path.Combine(RepoPaths.Root, "openapi.yaml");
        if (Environment.GetEnvironmentVariable("HEADLESS_WRITE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(path, served);
        }
        var committed = File.Exists(path) ? (await File.ReadAllTextAsync(path)).ReplaceLineEndings("\n") : "";
        Assert.True(committed == served, "openapi.yaml differs from the document the API serves. Run `./build.sh openapi` and commit openapi.yaml (then `./build.sh sdk`).");
    }

    [Fact]
    public async Task Every_operation_is_named_summarised_and_documents_its_problems()
    {
        var doc = JsonNode.Parse(await api.CreateClient().GetStringAsync("/openapi/v1.json"))!;
        Assert.StartsWith("3.0", doc["openapi"]!.GetValue<string>()); // NSwag writes OpenAPI 3.0
        var operations = doc["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject()
                .Where(op => Methods.Contains(op.Key))
                .Select(op => (Name: $"{op.Key.ToUpperInvariant()} {path.Key}", Path: path.Key, Op: op.Value!)))
            .ToList();
        Assert.True(operations.Count >= 17, $"{operations.Count} operations");

        var ids = new HashSet<string>();
        foreach (var (name, path, op) in operations)
        {
            var id = op["operationId"]?.GetValue<string>();
            Assert.False(string.IsNullOrEmpty(id), $"{name} has no operationId");
            Assert.True(ids.Add(id!), $"operationId {id} is used twice");
            Assert.False(string.IsNullOrEmpty(op["summary"]?.GetValue<string>()), $"{name} has no summary");
            var responses = op["responses"]!.AsObject();
            var success = responses.First(r => r.Key[0] is '2' or '3');
            if (success.Key[0] == '2' && success.Key != "204")
            {
                // JSON for the API's documents; the admin's live feed is a server-sent event stream and the
                // product CSV export a download, each declaring its own media type.
                var content = success.Value!["content"]?.AsObject();
                Assert.True(new[] { "application/json", "text/event-stream", "text/csv" }.Any(type => content?[type]?["schema"] is not null), $"{name} {success.Key} has no typed body");
            }
            var problems = responses.Where(r => r.Key[0] is '4' or '5').ToList();
            foreach (var status in new[] { "412", "428", "503" }.Where(responses.ContainsKey))
            {
                Assert.False(string.IsNullOrWhiteSpace(responses[status]!["description"]?.GetValue<string>()), $"{name} {status} has no description");
            }
            Assert.True(responses.ContainsKey("500"), $"{name} does not document the 500 problem");
            Assert.All(problems, p => Assert.True(p.Value!["content"]?["application/problem+json"] is not null, $"{name} {p.Key} is not a problem response"));
            if (path.StartsWith("/api/v1/admin", StringComparison.Ordinal))
            {
                Assert.True(responses.ContainsKey("401") && responses.ContainsKey("403"), $"{name} does not document 401/403");
                Assert.NotNull(op["security"]);
            }
        }
    }

    [Fact]
    public async Task Numbers_are_typed_as_numbers_not_strings()
    {
        var doc = await api.CreateClient().GetStringAsync("/openapi/v1.json");
        var money = JsonNode.Parse(doc)!["components"]!["schemas"]!["Money"]!["properties"]!["amount"]!;
        Assert.Equal("integer", money["type"]!.GetValue<string>());
    }
}
