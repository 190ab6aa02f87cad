using System.Dynamic;
using System.Text.Json;
using System.Text.Json.Nodes;
using FastEndpoints;
using Newtonsoft.Json;
using Newtonsoft.Json.Converters;
using NSwag;
using NSwag.Generation;
using YamlDotNet.Serialization;

namespace Headless.Api.Platform.OpenApi;

/// <summary>
/// Serves the contract as JSON and YAML. NSwag's own middleware writes YAML with unquoted response codes
/// (`200:`), which YAML readers take for numbers and linters refuse; here the YAML quotes every string
/// that would otherwise read as another type. The document is generated once per process.
/// </summary>
public sealed class GetOpenApiDocument(IOpenApiDocumentGenerator generator) : EndpointWithoutRequest
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static (IOpenApiDocumentGenerator Generator, string Json, string Yaml)? _cached;

    public override void Configure()
    {
        Get($"/openapi/{OpenApiSetup.DocumentName}.json", $"/openapi/{OpenApiSetup.DocumentName}.yaml");
        AllowAnonymous();
        Description(b => b.ExcludeFromDescription());
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var (json, yaml) = await DocumentAsync();
        var asYaml = HttpContext.Request.Path.Value!.EndsWith(".yaml", StringComparison.Ordinal);
        await Send.StringAsync(asYaml ? yaml : json, contentType: asYaml ? "application/yaml; charset=utf-8" : "application/json; charset=utf-8", cancellation: ct);
    }

    private async Task<(string Json, string Yaml)> DocumentAsync()
    {
        // Cached per generator: the tests run several hosts, each with its own, in one process.
        if (_cached is { } hit && ReferenceEquals(hit.Generator, generator))
        {
            return (hit.Json, hit.Yaml);
        }
        await Gate.WaitAsync();
        try
        {
            var document = await generator.GenerateAsync(OpenApiSetup.DocumentName);
            document.Servers.Clear();
            document.Servers.Add(new OpenApiServer { Url = "/", Description = "The API host that serves this document (the shop's origin behind the CDN)." });
            var json = Finish(document.ToJson());
            var tree = JsonConvert.DeserializeObject<ExpandoObject>(json, new ExpandoObjectConverter())!;
            var yaml = new SerializerBuilder().WithQuotingNecessaryStrings().Build().Serialize(tree);
            _cached = (generator, json, yaml);
            return (json, yaml);
        }
        finally
        {
            Gate.Release();
        }
    }

    // Two touches NSwag cannot be told to make: public operations say `security: []` (NSwag drops an
    // empty list), and a nullable reference to another schema says it is an object, since `nullable`
    // without a `type` means nothing to OpenAPI 3.0 validators.
    private static string Finish(string json)
    {
        var root = JsonNode.Parse(json)!;
        foreach (var (_, pathItem) in root["paths"]!.AsObject())
        {
            foreach (var (_, operation) in pathItem!.AsObject())
            {
                if (operation is not JsonObject op)
                {
                    continue;
                }
                if (op.Remove(OpenApiSetup.PublicMarker))
                {
                    op["security"] = new JsonArray();
                }
                // FastEndpoints declares 401/403 without a body; ours are problem documents.
                foreach (var (status, response) in op["responses"]?.AsObject() ?? [])
                {
                    if (status[0] is '4' or '5' && response is JsonObject r && r["content"] is null)
                    {
                        r["content"] = new JsonObject { ["application/problem+json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = "#/components/schemas/ProblemDetails" } } };
                    }
                }
            }
        }
        TypeNullableReferences(root);
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    private static void TypeNullableReferences(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["nullable"] is not null && obj["type"] is null && (obj["oneOf"] ?? obj["allOf"]) is not null)
                {
                    obj["type"] = "object";
                }
                foreach (var (_, child) in obj.ToList())
                {
                    TypeNullableReferences(child);
                }
                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    TypeNullableReferences(child);
                }
                break;
        }
    }
}
