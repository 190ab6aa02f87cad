using AngleSharp.Html.Parser;
using Ganss.Xss;

namespace Headless.Storefront.Rendering;

/// <summary>
/// Product descriptions come in two kinds: plain text typed in the dashboard (paragraphs split by blank
/// lines, escaped like every other value) and HTML from a Shopify import (`Body (HTML)`), which the API
/// sanitised on write. The page shows the HTML as HTML, but the shop does not trust the database to hold
/// only what the import's sanitiser let through (a hand edit, an older release, a restored backup): it
/// sanitises again here with its own allow-list, no wider than the import's, and only that output is
/// written unescaped. A description is HTML when it starts with a tag.
/// </summary>
internal static class DescriptionHtml
{
    private static readonly HtmlSanitizer Sanitizer = new(new HtmlSanitizerOptions
    {
        AllowedTags = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "p", "br", "strong", "b", "em", "i", "u", "s", "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6", "blockquote", "a", "span",
            "table", "thead", "tbody", "tr", "th", "td",
        },
        AllowedAttributes = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "href", "title" },
        AllowedSchemes = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "https", "mailto" },
        UriAttributes = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "href" },
        AllowedCssProperties = new HashSet<string>(),
        AllowedAtRules = new HashSet<AngleSharp.Css.Dom.CssRuleType>(),
    });

    public static bool IsHtml(string description) => description.AsSpan().TrimStart().StartsWith("<", StringComparison.Ordinal);

    /// <summary>The description's HTML through the shop's allow-list, to be written as is.</summary>
    public static RawHtml Safe(string html) => new(Sanitizer.Sanitize(html));

    /// <summary>The text of an HTML description (meta description, feeds, JSON-LD): what the sanitised HTML shows,
    /// so a script's or a style's text never becomes words.</summary>
    public static string Text(string html)
    {
        var document = new HtmlParser().ParseDocument("<!doctype html><body>" + Sanitizer.Sanitize(html));
        // blocks end in a space, so "<li>Undyed</li><li>Washed</li>" reads "Undyed Washed", not "UndyedWashed"
        foreach (var block in document.QuerySelectorAll("p, li, br, h2, h3, h4, h5, h6, blockquote, tr, th, td"))
        {
            block.Insert(AngleSharp.Dom.AdjacentPosition.AfterEnd, " ");
        }
        return string.Join(' ', (document.Body?.TextContent ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }
}
