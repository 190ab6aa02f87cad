using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using HandlebarsDotNet;

namespace Headless.Api.Features.Email;

/// <summary>The rendered parts of one email.</summary>
public sealed record RenderedEmail(string Subject, string Text, string Html);

/// <summary>
/// Email templates: Handlebars files embedded from Templates/. A template is three files,
/// `&lt;name&gt;.subject.hbs`, `&lt;name&gt;.txt.hbs` and `&lt;name&gt;.html.hbs`; the HTML is HTML-escaped
/// (`{{value}}`) and wrapped in `_layout.html.hbs`, the text in `_layout.txt.hbs`. Other
/// `_&lt;partial&gt;.html.hbs` files are partials for the HTML templates (`{{&gt; button}}`). Every
/// template also sees `shopName`.
/// </summary>
public static class EmailTemplates
{
    private const string Prefix = "EmailTemplates.";
    private static readonly string[] Parts = ["subject", "txt", "html"];
    private static readonly Dictionary<string, string> Sources = LoadSources();
    private static readonly IHandlebars Html = CreateHtmlEnvironment();
    private static readonly IHandlebars Plain = Handlebars.Create(new HandlebarsConfiguration { NoEscape = true });
    private static readonly ConcurrentDictionary<string, HandlebarsTemplate<object, object>> Compiled = new(StringComparer.Ordinal);

    /// <summary>The template names, sorted.</summary>
    public static IReadOnlyList<string> Names { get; } = FindNames();

    public static bool Exists(string? name) => name is not null && Names.Contains(name, StringComparer.Ordinal);

    public static RenderedEmail Render(string template, JsonObject model, string shopName)
    {
        if (!Exists(template))
        {
            throw new ArgumentException($"Unknown email template '{template}'.", nameof(template));
        }
        var context = ToDictionary(model);
        context["shopName"] = shopName;

        // A subject is one header line: no line breaks from the model can reach it.
        var subject = string.Join(' ', Get(Plain, $"{template}.subject")(context)
            .Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var layout = new Dictionary<string, object?> { ["shopName"] = shopName, ["subject"] = subject };

        layout["body"] = Get(Plain, $"{template}.txt")(context).Trim();
        var text = Get(Plain, "_layout.txt")(layout).Trim() + "\n";

        layout["body"] = Get(Html, $"{template}.html")(context);
        var html = Get(Html, "_layout.html")(layout);
        return new RenderedEmail(subject, text, html);
    }

    private static HandlebarsTemplate<object, object> Get(IHandlebars environment, string file) =>
        Compiled.GetOrAdd((ReferenceEquals(environment, Html) ? "html:" : "plain:") + file,
            _ => environment.Compile(Sources.TryGetValue(file, out var source)
                ? source
                : throw new InvalidOperationException($"The email template file {file}.hbs is missing.")));

    private static Dictionary<string, string> LoadSources()
    {
        var assembly = typeof(EmailTemplates).Assembly;
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (resource.StartsWith(Prefix, StringComparison.Ordinal) && resource.EndsWith(".hbs", StringComparison.Ordinal))
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
                sources[resource[Prefix.Length..^".hbs".Length]] = reader.ReadToEnd();
            }
        }
        return sources;
    }

    private static string[] FindNames()
    {
        var names = Sources.Keys
            .Where(k => !k.StartsWith('_'))
            .Select(k => k[..k.LastIndexOf('.')])
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToArray();
        foreach (var name in names)
        {
            var missing = Parts.Where(p => !Sources.ContainsKey($"{name}.{p}")).ToList();
            if (missing.Count > 0)
            {
                throw new InvalidOperationException(
                    $"Email template '{name}' is incomplete: add {string.Join(", ", missing.Select(p => $"{name}.{p}.hbs"))} to Features/Email/Templates.");
            }
        }
        return names;
    }

    private static IHandlebars CreateHtmlEnvironment()
    {
        var environment = Handlebars.Create();
        foreach (var (file, source) in Sources)
        {
            if (file.StartsWith('_') && file.EndsWith(".html", StringComparison.Ordinal) && file != "_layout.html")
            {
                environment.RegisterTemplate(file[1..^".html".Length], source);
            }
        }
        return environment;
    }

    /// <summary>Handlebars.Net reads dictionaries and lists, not System.Text.Json nodes.</summary>
    private static Dictionary<string, object?> ToDictionary(JsonObject obj)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in obj)
        {
            result[key] = ToValue(value);
        }
        return result;
    }

    private static object? ToValue(JsonNode? node) => node switch
    {
        null => null,
        JsonObject obj => ToDictionary(obj),
        JsonArray array => array.Select(ToValue).ToList(),
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => long.TryParse(value.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole)
                ? whole
                : double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture),
            _ => null,
        },
        _ => null,
    };
}
