using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Headless.Api.Platform.Hosting;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Headless.Tests.Search.OpenSearch;

/// <summary>A test that needs the official OpenSearch API specification in ../shared/reference/opensearch/;
/// reported as skipped, with the reason, where that folder is absent (a fresh clone without ../shared).</summary>
public sealed class OpenSearchSpecFactAttribute : FactAttribute
{
    public OpenSearchSpecFactAttribute()
    {
        if (!File.Exists(OpenSearchSpec.SpecPath))
        {
            Skip = $"The OpenSearch API specification is not at {OpenSearchSpec.SpecPath} (../shared/reference/opensearch/ is absent).";
        }
    }
}

/// <summary>
/// The official OpenSearch 2.19 API specification (OpenAPI 3.1, YAML), loaded once as JSON, with a
/// validator for the JSON Schema keywords it uses. JsonSchema.Net, the library the design names, cannot
/// be restored here (its dependency JsonPointer.Net is missing from the package registry), so this is
/// a deliberately small validator: type, properties, additionalProperties, unevaluatedProperties,
/// required, items, enum, const, $ref, allOf, anyOf, oneOf, not, min/maxProperties, min/maxItems,
/// minimum/maximum, pattern, propertyNames. Annotations (format, description, x-…) are ignored.
/// <para>Two relaxations make it follow what the specification means rather than reject its own
/// examples: (1) <c>oneOf</c> needs at least one matching branch, not exactly one, because the
/// specification's branches overlap (its own example <c>sort: [{year: asc}]</c> matches both the
/// field-with-direction and the sort-options branch); (2) <c>minProperties</c>/<c>maxProperties</c> in a
/// schema that declares <c>properties</c> and no <c>additionalProperties</c> count only the declared
/// properties, because the specification puts "at most one function" (maxProperties 1) in an allOf
/// branch beside <c>filter</c> and <c>weight</c>, which a literal reading would forbid together.
/// The tests show the validator still rejects wrong types, unknown enum values and misspelt
/// properties.</para>
/// </summary>
public sealed class OpenSearchSpec
{
    public static string Folder => Path.GetFullPath(Path.Combine(RepoPaths.Root, "..", "shared", "reference", "opensearch"));
    public static string SpecPath => Path.Combine(Folder, "opensearch-openapi-2.19.yaml");

    private static readonly Lazy<OpenSearchSpec> Loaded = new(() => new OpenSearchSpec(Yaml.Load(SpecPath)));

    public static OpenSearchSpec Instance => Loaded.Value;

    public JsonNode Root { get; }

    private OpenSearchSpec(JsonNode root) => Root = root;

    /// <summary>The JSON schema of a named request body (components/requestBodies/NAME), for a content type.</summary>
    public JsonNode RequestBody(string name, string contentType = "application/json") =>
        Root["components"]!["requestBodies"]![name]!["content"]![contentType]!["schema"]
        ?? throw new InvalidOperationException($"No {contentType} schema for request body {name}.");

    public JsonNode Schema(string name) => Root["components"]!["schemas"]![name] ?? throw new InvalidOperationException($"No schema {name}.");

    /// <summary>Every violation of <paramref name="schema"/> by <paramref name="value"/>, with its JSON path.</summary>
    public List<string> Validate(JsonNode? value, JsonNode schema)
    {
        var errors = new List<string>();
        Check(value, schema, "$", errors, out _);
        return errors;
    }

    private JsonNode Resolve(string reference)
    {
        if (!reference.StartsWith("#/", StringComparison.Ordinal))
        {
            throw new NotSupportedException($"External $ref {reference}");
        }
        JsonNode node = Root;
        foreach (var part in reference[2..].Split('/'))
        {
            var key = part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            node = node[key] ?? throw new InvalidOperationException($"Unresolvable $ref {reference}");
        }
        return node;
    }

    /// <param name="evaluated">Property names this schema (and the subschemas that held) evaluated, for unevaluatedProperties.</param>
    private bool Check(JsonNode? value, JsonNode schema, string path, List<string> errors, out HashSet<string> evaluated)
    {
        evaluated = [];
        if (schema is JsonValue boolean && boolean.TryGetValue<bool>(out var allowed))
        {
            if (!allowed)
            {
                errors.Add($"{path}: no value is allowed here");
            }
            return allowed;
        }
        var s = schema.AsObject();
        var start = errors.Count;

        if (s["$ref"] is JsonValue r)
        {
            Check(value, Resolve(r.GetValue<string>()), path, errors, out var fromRef);
            evaluated.UnionWith(fromRef);
        }
        if (s["type"] is { } type)
        {
            var types = type is JsonArray a ? a.Select(t => t!.GetValue<string>()).ToList() : [type.GetValue<string>()];
            if (!types.Any(t => IsType(value, t)))
            {
                errors.Add($"{path}: expected {string.Join(" or ", types)}, got {Kind(value)}");
                return false;
            }
        }
        if (s["enum"] is JsonArray options && !options.Any(o => JsonNode.DeepEquals(o, value)))
        {
            errors.Add($"{path}: {value?.ToJsonString()} is not one of {options.ToJsonString()}");
        }
        if (s.ContainsKey("const") && !JsonNode.DeepEquals(s["const"], value))
        {
            errors.Add($"{path}: {value?.ToJsonString()} is not {s["const"]?.ToJsonString()}");
        }
        if (value is JsonValue number && number.GetValueKind() == System.Text.Json.JsonValueKind.Number)
        {
            var d = Num(number);
            if (s["minimum"] is { } min && d < Num(min))
            {
                errors.Add($"{path}: {d} is below the minimum {min}");
            }
            if (s["maximum"] is { } max && d > Num(max))
            {
                errors.Add($"{path}: {d} is above the maximum {max}");
            }
        }
        if (value is JsonValue text && text.TryGetValue<string>(out var str) && s["pattern"] is { } pattern
            && !Regex.IsMatch(str, pattern.GetValue<string>(), RegexOptions.None, TimeSpan.FromSeconds(1)))
        {
            errors.Add($"{path}: '{str}' does not match {pattern}");
        }
        if (value is JsonArray array)
        {
            if (s["minItems"] is { } minItems && array.Count < (int)Num(minItems))
            {
                errors.Add($"{path}: fewer than {minItems} items");
            }
            if (s["maxItems"] is { } maxItems && array.Count > (int)Num(maxItems))
            {
                errors.Add($"{path}: more than {maxItems} items");
            }
            if (s["items"] is { } items)
            {
                for (var i = 0; i < array.Count; i++)
                {
                    Check(array[i], items, $"{path}[{i}]", errors, out _);
                }
            }
        }
        if (value is JsonObject obj)
        {
            if (s["required"] is JsonArray required)
            {
                foreach (var name in required.Select(n => n!.GetValue<string>()).Where(n => !obj.ContainsKey(n)))
                {
                    errors.Add($"{path}: missing required property '{name}'");
                }
            }
            // Relaxation 2 (see the class summary): a schema that declares its properties and says nothing of
            // others counts only the declared ones, as the specification means it.
            var counted = s["properties"] is JsonObject declared && !s.ContainsKey("additionalProperties")
                ? obj.Count(p => declared.ContainsKey(p.Key)) : obj.Count;
            if (s["minProperties"] is { } minProps && counted < (int)Num(minProps))
            {
                errors.Add($"{path}: fewer than {minProps} properties");
            }
            if (s["maxProperties"] is { } maxProps && counted > (int)Num(maxProps))
            {
                errors.Add($"{path}: more than {maxProps} properties");
            }
            if (s["propertyNames"] is { } names)
            {
                foreach (var (name, _) in obj)
                {
                    Check(JsonValue.Create(name), names, $"{path} (property name '{name}')", errors, out _);
                }
            }
            var properties = s["properties"] as JsonObject;
            foreach (var (name, child) in obj)
            {
                if (properties?[name] is { } propertySchema)
                {
                    evaluated.Add(name);
                    Check(child, propertySchema, $"{path}.{name}", errors, out _);
                }
                else if (s["additionalProperties"] is { } additional)
                {
                    evaluated.Add(name);
                    if (additional is JsonValue b && b.TryGetValue<bool>(out var ok))
                    {
                        if (!ok)
                        {
                            errors.Add($"{path}: property '{name}' is not allowed");
                        }
                    }
                    else
                    {
                        Check(child, additional, $"{path}.{name}", errors, out _);
                    }
                }
            }
        }
        if (s["allOf"] is JsonArray allOf)
        {
            foreach (var sub in allOf)
            {
                Check(value, sub!, path, errors, out var e);
                evaluated.UnionWith(e);
            }
        }
        if (s["anyOf"] is JsonArray anyOf)
        {
            var matched = false;
            var firstErrors = new List<string>();
            foreach (var sub in anyOf)
            {
                var trial = new List<string>();
                if (Check(value, sub!, path, trial, out var e) && trial.Count == 0)
                {
                    matched = true;
                    evaluated.UnionWith(e);
                }
                else if (firstErrors.Count == 0)
                {
                    firstErrors = trial;
                }
            }
            if (!matched)
            {
                errors.Add($"{path}: matches none of anyOf ({anyOf.Count}); first: {string.Join("; ", firstErrors.Take(3))}");
            }
        }
        if (s["oneOf"] is JsonArray oneOf)
        {
            var matches = 0;
            var trials = new List<string>();
            foreach (var sub in oneOf)
            {
                var trial = new List<string>();
                if (Check(value, sub!, path, trial, out var e) && trial.Count == 0)
                {
                    matches++;
                    evaluated.UnionWith(e);
                }
                else
                {
                    trials.Add(string.Join("; ", trial.Take(2)));
                }
            }
            // Relaxation 1 (see the class summary): at least one branch, not exactly one.
            if (matches == 0)
            {
                errors.Add($"{path}: matches {matches} of oneOf ({oneOf.Count}), exactly one required{(matches == 0 ? "; " + string.Join(" | ", trials.Take(4)) : "")}");
            }
        }
        if (s["not"] is { } not)
        {
            var trial = new List<string>();
            if (Check(value, not, path, trial, out _) && trial.Count == 0)
            {
                errors.Add($"{path}: matches a schema it must not match");
            }
        }
        if (value is JsonObject o2 && s["unevaluatedProperties"] is { } unevaluated)
        {
            var seen = evaluated;
            foreach (var (name, child) in o2.Where(p => !seen.Contains(p.Key)).ToList())
            {
                if (unevaluated is JsonValue b && b.TryGetValue<bool>(out var ok))
                {
                    if (!ok)
                    {
                        errors.Add($"{path}: property '{name}' is not allowed (unevaluatedProperties)");
                    }
                }
                else
                {
                    Check(child, unevaluated, $"{path}.{name}", errors, out _);
                }
                evaluated.Add(name);
            }
        }
        return errors.Count == start;
    }

    private static double Num(JsonNode node) => double.Parse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static bool IsType(JsonNode? value, string type) => type switch
    {
        "null" => value is null,
        "object" => value is JsonObject,
        "array" => value is JsonArray,
        "string" => value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String,
        "boolean" => value is JsonValue v && v.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False,
        "number" => value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number,
        "integer" => value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number
                     && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && Math.Floor(n) == n,
        _ => false,
    };

    private static string Kind(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind().ToString().ToLowerInvariant(),
        _ => value.GetType().Name,
    };
}

/// <summary>YAML to JSON the way a YAML 1.2 core-schema reader does it: plain scalars that look like
/// numbers, booleans or null become those; quoted scalars stay strings.</summary>
public static class Yaml
{
    public static JsonNode Load(string path)
    {
        using var reader = File.OpenText(path);
        return Parse(reader);
    }

    public static JsonNode Parse(TextReader reader)
    {
        var stream = new YamlStream();
        stream.Load(reader);
        return Convert(stream.Documents[0].RootNode)!;
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv =>
            KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, Convert(kv.Value)))),
        YamlSequenceNode seq => new JsonArray([.. seq.Children.Select(Convert)]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new NotSupportedException(node.GetType().Name),
    };

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain)
        {
            return JsonValue.Create(text);
        }
        switch (text)
        {
            case "" or "~" or "null":
                return null;
            case "true":
                return JsonValue.Create(true);
            case "false":
                return JsonValue.Create(false);
        }
        if (Regex.IsMatch(text, @"^-?(0|[1-9][0-9]*)$") && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return JsonValue.Create(l);
        }
        if (Regex.IsMatch(text, @"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$")
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return JsonValue.Create(d);
        }
        return JsonValue.Create(text);
    }
}
