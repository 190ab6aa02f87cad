using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;

namespace Headless.Api.Features.Email;

/// <summary>The rendered parts of one email.</summary>
public sealed record RenderedEmail(string Subject, string Text, string Html);

/// <summary>
/// Email templates: Scriban files in its Liquid syntax, embedded from Templates/ and parsed once. A
/// template is three files, `&lt;name&gt;.subject.liquid`, `&lt;name&gt;.txt.liquid` and
/// `&lt;name&gt;.html.liquid`; the HTML's values are HTML-escaped (<see cref="HtmlTemplateContext"/>) and it
/// is wrapped in `_layout.html.liquid`, the text (not escaped, like the subject) in `_layout.txt.liquid`.
/// Other `_&lt;partial&gt;.html.liquid` files are partials for the HTML templates
/// (`{% include 'button' label: 'Confirm my email' %}`). Every template also sees `shopName`.
/// </summary>
public static class EmailTemplates
{
    private const string Prefix = "EmailTemplates.";
    private const string Extension = ".liquid";
    private static readonly string[] Parts = ["subject", "txt", "html"];
    private static readonly Dictionary<string, Template> Templates = ParseAll();
    private static readonly Dictionary<string, Template> HtmlPartials = Templates
        .Where(t => t.Key.StartsWith('_') && t.Key.EndsWith(".html", StringComparison.Ordinal) && t.Key != "_layout.html")
        .ToDictionary(StringComparer.Ordinal);
    // A context is not thread-safe and costs more to make than a mail costs to render: one per concurrent render, kept.
    private static readonly ConcurrentBag<HtmlTemplateContext> HtmlContexts = [];
    private static readonly ConcurrentBag<TemplateContext> TextContexts = [];

    /// <summary>The template names, sorted.</summary>
    public static IReadOnlyList<string> Names { get; } = FindNames();

    public static bool Exists(string? name) => name is not null && Names.Contains(name, StringComparer.Ordinal);

    /// <param name="testMode">Payments go to the built-in test provider: the mail says TEST MODE at the top.</param>
    public static RenderedEmail Render(string template, JsonObject model, string shopName, bool testMode = false)
    {
        if (!Exists(template))
        {
            throw new ArgumentException($"Unknown email template '{template}'.", nameof(template));
        }
        var values = ToScriptObject(model);
        values["shopName"] = shopName;
        var layout = new ScriptObject { ["shopName"] = shopName, ["testMode"] = testMode };

        var text = TextContexts.TryTake(out var idleText) ? idleText : NewTextContext();
        // A subject is one header line: no line breaks from the model can reach it.
        var subject = string.Join(' ', Render(text, $"{template}.subject", values)
            .Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        layout["subject"] = subject;
        layout["body"] = Render(text, $"{template}.txt", values).Trim();
        var plain = Render(text, "_layout.txt", layout).Trim() + "\n";
        TextContexts.Add(text);

        var html = HtmlContexts.TryTake(out var idleHtml) ? idleHtml : new HtmlTemplateContext(new PartialLoader(), HtmlPartials);
        layout["body"] = Render(html, $"{template}.html", values);
        var page = Render(html, "_layout.html", layout);
        HtmlContexts.Add(html);
        return new RenderedEmail(subject, plain, page);
    }

    // A render that throws leaves its context out of the pool: it may still hold scopes or outputs pushed.
    private static string Render(TemplateContext context, string file, ScriptObject values)
    {
        var template = Templates.TryGetValue(file, out var found)
            ? found
            : throw new InvalidOperationException($"The email template file {file}{Extension} is missing.");
        context.PushGlobal(values);
        var output = template.Render(context);
        context.PopGlobal();
        return output;
    }

    // Plain text, written as it is: no escaping, no indenting.
    private static LiquidTemplateContext NewTextContext() => new() { AutoIndent = false };

    private static Dictionary<string, Template> ParseAll()
    {
        var assembly = typeof(EmailTemplates).Assembly;
        var templates = new Dictionary<string, Template>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (resource.StartsWith(Prefix, StringComparison.Ordinal) && resource.EndsWith(Extension, StringComparison.Ordinal))
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
                var file = resource[Prefix.Length..^Extension.Length];
                var template = Template.ParseLiquid(reader.ReadToEnd(), file + Extension);
                templates[file] = template.HasErrors
                    ? throw new InvalidOperationException($"The email template {file}{Extension} does not parse: {string.Join("; ", template.Messages)}")
                    : template;
            }
        }
        return templates;
    }

    private static string[] FindNames()
    {
        var names = Templates.Keys
            .Where(k => !k.StartsWith('_'))
            .Select(k => k[..k.LastIndexOf('.')])
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToArray();
        foreach (var name in names)
        {
            var missing = Parts.Where(p => !Templates.ContainsKey($"{name}.{p}")).ToList();
            if (missing.Count > 0)
            {
                throw new InvalidOperationException(
                    $"Email template '{name}' is incomplete: add {string.Join(", ", missing.Select(p => $"{name}.{p}{Extension}"))} to Features/Email/Templates.");
            }
        }
        return names;
    }

    /// <summary>Scriban reads its own objects and arrays (or .NET ones), not System.Text.Json nodes; keys stay as written.</summary>
    private static ScriptObject ToScriptObject(JsonObject obj)
    {
        var result = new ScriptObject();
        foreach (var (key, value) in obj)
        {
            result[key] = ToValue(value);
        }
        return result;
    }

    private static object? ToValue(JsonNode? node) => node switch
    {
        null => null,
        JsonObject obj => ToScriptObject(obj),
        JsonArray array => new ScriptArray(array.Select(ToValue)),
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

    /// <summary>
    /// `{% include 'button' %}` in an HTML template is `_button.html`; only those files can be included.
    /// Each is parsed at start and handed to every context (<see cref="HtmlPartials"/>), so none is loaded here.
    /// </summary>
    private sealed class PartialLoader : ITemplateLoader
    {
        public string GetPath(TemplateContext context, SourceSpan callerSpan, string templateName)
        {
            var path = $"_{templateName}.html";
            return HtmlPartials.ContainsKey(path)
                ? path
                : throw new ScriptRuntimeException(callerSpan, $"There is no email partial {path}{Extension}.");
        }

        public string Load(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
            throw new ScriptRuntimeException(callerSpan, $"The email partial {templatePath}{Extension} was not parsed at start.");

        public ValueTask<string?> LoadAsync(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
            ValueTask.FromResult<string?>(Load(context, callerSpan, templatePath));
    }
}
