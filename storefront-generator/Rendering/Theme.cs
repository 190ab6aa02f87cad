using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Scriban;
using Scriban.Runtime;

namespace Headless.Storefront.Rendering;

/// <summary>
/// A theme folder: layouts/default.liquid, partials/*.liquid and pages/*.liquid (Scriban templates in its
/// Liquid syntax, parsed once when the theme loads; every value they print is HTML-escaped, see
/// <see cref="HtmlTemplateContext"/>) and assets/, which are published under fingerprinted names.
/// </summary>
public sealed class Theme
{
    public const string Extension = ".liquid";

    private readonly Dictionary<string, Template> _pages = new(StringComparer.Ordinal);
    private readonly Template _layout;
    private readonly PartialLoader _partials;
    private readonly Dictionary<string, Template> _parsedPartials;
    // Contexts are not thread-safe and pages render in parallel: one per concurrent render, kept for the next.
    private readonly ConcurrentBag<HtmlTemplateContext> _contexts = [];

    private Theme(string directory)
    {
        Directory = directory;
        _partials = new PartialLoader(Path.Combine(directory, "partials"));
        _parsedPartials = _partials.Paths.ToDictionary(path => path, Parse, StringComparer.Ordinal);
        foreach (var file in System.IO.Directory.GetFiles(Path.Combine(directory, "pages"), "*" + Extension))
        {
            _pages[Path.GetFileNameWithoutExtension(file)] = Parse(file);
        }
        _layout = Parse(Path.Combine(directory, "layouts", "default" + Extension));
    }

    public string Directory { get; }

    public static Theme Load(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"No theme folder at {directory}.");
        }
        return new Theme(directory);
    }

    private static Template Parse(string file)
    {
        var template = Template.ParseLiquid(File.ReadAllText(file), file);
        return template.HasErrors
            ? throw new InvalidOperationException($"The theme template {file} does not parse: {string.Join("; ", template.Messages)}")
            : template;
    }

    public bool HasPage(string name) => _pages.ContainsKey(name);

    /// <summary>Renders a page template inside the layout. Thread-safe.</summary>
    public string Render(string page, PageVm meta, object model, SiteVm site) => Encoding.UTF8.GetString(RenderUtf8(page, meta, model, site));

    /// <summary>
    /// Renders a page template inside the layout, as the UTF-8 bytes of the file. Thread-safe. The page and the
    /// layout are written into the context's own reused buffers and the bytes are encoded from them: no string
    /// of the body or of the whole page is made (they were two thirds of a full build's allocations).
    /// </summary>
    public byte[] RenderUtf8(string page, PageVm meta, object model, SiteVm site)
    {
        if (!_pages.TryGetValue(page, out var template))
        {
            throw new InvalidOperationException($"The theme has no pages/{page}{Extension}.");
        }
        var context = _contexts.TryTake(out var idle) ? idle : new HtmlTemplateContext(_partials, _parsedPartials);
        var globals = new ScriptObject { ["site"] = site, ["page"] = meta, ["model"] = model };
        context.PushGlobal(globals);
        globals["body"] = new RenderedBody(context.RenderBody(template));
        var html = context.RenderPage(_layout);
        context.PopGlobal();
        // A render that threw may have left scopes or outputs pushed: its context is dropped, not reused.
        _contexts.Add(context);
        return html;
    }

    /// <summary>Theme assets (assets/**) with their fingerprinted public names: site.css → /assets/site.3f2a9c1d.css.</summary>
    public IEnumerable<(string LogicalName, string Path, byte[] Content)> Assets()
    {
        var root = Path.Combine(Directory, "assets");
        if (!System.IO.Directory.Exists(root))
        {
            yield break;
        }
        foreach (var file in System.IO.Directory.GetFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            var content = File.ReadAllBytes(file);
            yield return (relative, "assets/" + Fingerprint(relative, content), content);
        }
    }

    public static string Fingerprint(string name, byte[] content)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(content))[..10];
        var dot = name.LastIndexOf('.');
        return dot < 0 ? $"{name}.{hash}" : $"{name[..dot]}.{hash}{name[dot..]}";
    }
}
