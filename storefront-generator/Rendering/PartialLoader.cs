using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;

namespace Headless.Storefront.Rendering;

/// <summary>
/// Where <c>{% include 'card' %}</c> finds its template: partials/card.liquid in the theme. Only the
/// files found when the theme loads can be included, so a name cannot reach outside the folder.
/// </summary>
internal sealed class PartialLoader : ITemplateLoader
{
    private readonly Dictionary<string, string> _paths = new(StringComparer.Ordinal);

    public PartialLoader(string directory)
    {
        foreach (var file in Directory.GetFiles(directory, "*" + Theme.Extension))
        {
            _paths[Path.GetFileNameWithoutExtension(file)] = file;
        }
    }

    /// <summary>The partials' paths, as <see cref="GetPath"/> answers them.</summary>
    public IEnumerable<string> Paths => _paths.Values;

    public string GetPath(TemplateContext context, SourceSpan callerSpan, string templateName) =>
        _paths.TryGetValue(templateName, out var path)
            ? path
            : throw new ScriptRuntimeException(callerSpan, $"The theme has no partials/{templateName}{Theme.Extension}.");

    public string Load(TemplateContext context, SourceSpan callerSpan, string templatePath) => File.ReadAllText(templatePath);

    public ValueTask<string?> LoadAsync(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
        new(File.ReadAllText(templatePath));
}
