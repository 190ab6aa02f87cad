using System.Security.Cryptography;
using HandlebarsDotNet;

namespace Headless.Storefront.Rendering;

/// <summary>
/// A theme folder: layouts/*.hbs, partials/*.hbs, pages/*.hbs (Handlebars, HTML-escaped by default; only
/// <c>{{{body}}}</c> and the JSON-LD block, both made by the generator, are inserted raw) and assets/, which
/// are published under fingerprinted names.
/// </summary>
public sealed class Theme
{
    private readonly Dictionary<string, HandlebarsTemplate<object, object>> _pages = [];
    private readonly HandlebarsTemplate<object, object> _layout;

    private Theme(string directory, IHandlebars handlebars)
    {
        Directory = directory;
        foreach (var file in System.IO.Directory.GetFiles(Path.Combine(directory, "partials"), "*.hbs"))
        {
            handlebars.RegisterTemplate(Path.GetFileNameWithoutExtension(file), File.ReadAllText(file));
        }
        foreach (var file in System.IO.Directory.GetFiles(Path.Combine(directory, "pages"), "*.hbs"))
        {
            _pages[Path.GetFileNameWithoutExtension(file)] = handlebars.Compile(File.ReadAllText(file));
        }
        _layout = handlebars.Compile(File.ReadAllText(Path.Combine(directory, "layouts", "default.hbs")));
    }

    public string Directory { get; }

    public static Theme Load(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"No theme folder at {directory}.");
        }
        var handlebars = Handlebars.Create(new HandlebarsConfiguration { ThrowOnUnresolvedBindingExpression = false });
        return new Theme(directory, handlebars);
    }

    public bool HasPage(string name) => _pages.ContainsKey(name);

    /// <summary>Renders a page template inside the layout.</summary>
    public string Render(string page, PageVm meta, object model, SiteVm site)
    {
        if (!_pages.TryGetValue(page, out var template))
        {
            throw new InvalidOperationException($"The theme has no pages/{page}.hbs.");
        }
        var body = template(new { site, page = meta, model });
        return _layout(new { site, page = meta, body });
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
