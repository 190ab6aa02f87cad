using Ganss.Xss;

namespace Headless.Api.Features.Catalog.Imports;

/// <summary>The safe subset an imported `Body (HTML)` keeps: text structure and emphasis, lists, headings
/// and links to https or mailto. No styles, classes, scripts, frames, forms or images (product images are
/// their own column); everything else is removed with its attributes. Sanitising its own output changes
/// nothing, so a re-import of an export leaves descriptions as they are.</summary>
public static class BodySanitizer
{
    public static HtmlSanitizer Create()
    {
        var options = new HtmlSanitizerOptions
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
        };
        return new HtmlSanitizer(options);
    }
}
