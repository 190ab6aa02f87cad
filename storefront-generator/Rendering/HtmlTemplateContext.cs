using System.Buffers;
using System.Text;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;

namespace Headless.Storefront.Rendering;

/// <summary>HTML written as it is: what the template filter <c>raw</c> returns.</summary>
public sealed record RawHtml(string Html);

/// <summary>The layout's <c>body</c>: the page rendered into the context's buffer, copied into the layout's
/// output from there (<c>{{ body | raw }}</c>) without becoming a string first.</summary>
internal sealed class RenderedBody(StringBuilder html)
{
    public StringBuilder Html { get; } = html;

    public override string ToString() => Html.ToString();
}

/// <summary><c>body | raw</c>.</summary>
internal sealed record RawBody(RenderedBody Body);

/// <summary>
/// The Scriban context the theme renders in: one per thread at a time (a context is not thread-safe),
/// reused from page to page. The API's email templates render with the same rules
/// (api/Features/Email/HtmlTemplateContext.cs; the two projects share no code).
/// <para>Scriban writes <c>{{ x }}</c> as it is, so a product title holding <c>&lt;script&gt;</c> would come
/// out as markup. Here the value of every output expression is HTML-escaped as it is written, the
/// template's own text is not. Escaped are <c>&amp; &lt; &gt; " '</c> and also <c>` =</c>, which matter in an
/// unquoted attribute; the same set as the theme's previous engine, so the pages kept their bytes. The one way
/// around it is <c>{{ x | raw }}</c>, for HTML the generator made itself: the layout's <c>body</c> and the
/// product's JSON-LD. <c>capture</c> would escape its text twice (once inside, once when printed), so the
/// theme has none.</para>
/// <para><c>include</c> is replaced by one that renders the partial straight into the page in a scope of
/// its own: Scriban's renders it into a string first, which this context would then escape again, and
/// which costs a buffer per include (a listing page has two per product card).</para>
/// </summary>
internal sealed class HtmlTemplateContext : LiquidTemplateContext
{
    private static readonly SearchValues<char> Special = SearchValues.Create("&<>\"'`=");

    public HtmlTemplateContext(ITemplateLoader partials, IReadOnlyDictionary<string, Template> parsed)
    {
        TemplateLoader = partials;
        foreach (var (path, template) in parsed)
        {
            CachedTemplates[path] = template;
        }
        // The output is the template's text as written: no indenting of an include's lines.
        AutoIndent = false;

        var helpers = new ScriptObject();
        helpers.Import("raw", new Func<object?, object?>(value => value switch
        {
            null => null,
            RenderedBody body => new RawBody(body),
            _ => new RawHtml(value as string ?? ObjectToString(value) ?? ""),
        }));
        helpers.SetValue("include", new IncludeInPlace(), readOnly: true);
        PushGlobal(helpers);
    }

    private static readonly Template StartOutputCount = Template.ParseLiquid("");
    private readonly StringBuilderOutput _body = new();
    private readonly StringBuilderOutput _page = new();
    private readonly Encoder _utf8 = new UTF8Encoding(false).GetEncoder();

    /// <summary>Renders a page template into this context's body buffer (valid until the next page).</summary>
    public StringBuilder RenderBody(Template template) => RenderInto(template, _body);

    /// <summary>Renders the layout into this context's page buffer and returns the page as UTF-8.</summary>
    public byte[] RenderPage(Template layout)
    {
        var html = RenderInto(layout, _page);
        var count = 0;
        foreach (var chunk in html.GetChunks())
        {
            count += _utf8.GetByteCount(chunk.Span, flush: false);
        }
        count += _utf8.GetByteCount([], flush: true);
        var bytes = new byte[count];
        var at = 0;
        foreach (var chunk in html.GetChunks())
        {
            at += _utf8.GetBytes(chunk.Span, bytes.AsSpan(at), flush: false);
        }
        _utf8.GetBytes([], bytes.AsSpan(at), flush: true);
        return bytes;
    }

    /// <summary>What <see cref="Template.Render(TemplateContext)"/> does, into a buffer of ours instead of a string.</summary>
    private StringBuilder RenderInto(Template template, StringBuilderOutput output)
    {
        // Scriban counts what a context writes against its output limit (LimitToString, 1 MiB) from one
        // Template.Render to the next, and only Render starts the count afresh: an empty template's does that here.
        StartOutputCount.Render(this);
        output.Builder.Clear();
        PushOutput(output);
        if (template.SourceFilePath is { } file)
        {
            PushSourceFile(file);
        }
        if (template.Page is { } page && Evaluate(page) is { } result && EnableOutput)
        {
            Write(page.Span, result);
        }
        if (template.SourceFilePath is not null)
        {
            PopSourceFile();
        }
        PopOutput();
        return output.Builder;
    }

    public override TemplateContext Write(SourceSpan span, object? textAsObject)
    {
        if (textAsObject is RawHtml raw)
        {
            return Write(raw.Html);
        }
        if (textAsObject is RawBody { Body.Html: var body })
        {
            if (Output is StringBuilderOutput { Builder: var into })
            {
                into.Append(body);
                return this;
            }
            return Write(body.ToString());
        }
        if (ObjectToString(textAsObject) is { } text)
        {
            WriteEscaped(text);
        }
        return this;
    }

    public override ValueTask<TemplateContext> WriteAsync(SourceSpan span, object? textAsObject) => new(Write(span, textAsObject));

    private void WriteEscaped(string text)
    {
        var start = 0;
        int next;
        while ((next = text.AsSpan(start).IndexOfAny(Special)) >= 0)
        {
            Write(text, start, next);
            Write(text[start + next] switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#x27;",
                '`' => "&#x60;",
                _ => "&#x3D;",
            });
            start += next + 1;
        }
        Write(text, start, text.Length - start);
    }

    /// <summary><c>include 'name'</c>: the partial, rendered into the page being written.</summary>
    private sealed class IncludeInPlace : IScriptCustomFunction
    {
        public int RequiredParameterCount => 1;

        public int ParameterCount => 1;

        public ScriptVarParamKind VarParamKind => ScriptVarParamKind.Direct;

        public Type ReturnType => typeof(void);

        public ScriptParameterInfo GetParameterInfo(int index) => new(typeof(string), "template_name");

        public object? Invoke(TemplateContext context, ScriptNode? callerContext, ScriptArray arguments, ScriptBlockStatement? blockStatement)
        {
            var path = context.GetTemplatePathFromName(arguments.Count > 0 ? context.ObjectToString(arguments[0]) : null, callerContext);
            if (path is null)
            {
                return null;
            }
            var partial = context.GetOrCreateTemplate(path, callerContext);
            context.EnterRecursive(callerContext);
            context.PushLocal();
            try
            {
                if (partial.Page is { } page)
                {
                    context.Evaluate(page);
                }
            }
            finally
            {
                context.PopLocal();
                context.ExitRecursive(callerContext);
            }
            return null;
        }

        public ValueTask<object?> InvokeAsync(TemplateContext context, ScriptNode? callerContext, ScriptArray arguments, ScriptBlockStatement? blockStatement) =>
            new(Invoke(context, callerContext, arguments, blockStatement));
    }
}
