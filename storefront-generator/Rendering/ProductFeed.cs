using System.Text;
using System.Xml;
using Headless.Sdk;

namespace Headless.Storefront.Rendering;

/// <summary>
/// feed.xml, the product feed (RSS 2.0 with Google Merchant Center's g: fields, one item per active variant),
/// put together from each product's items as rendered for the version of the product the catalog holds. At
/// 100,000 products the feed is about 490,000 items and 330 MB: rendering every item again for each rewrite took
/// seconds of a core, and on a busy machine the pages of the next edits waited for that core. A rewrite now
/// renders only the products whose <see cref="ProductDetail"/> changed since the last one (the catalog replaces a
/// product's object when the change feed brings it) and copies the bytes of the rest.
/// <para>Items are written by hand rather than with XmlWriter: an XmlWriter fragment cannot use the g: prefix the
/// feed's root declares without declaring it again on every element. Text is escaped as XmlWriter escapes element
/// text (&amp;, &lt;, &gt;, line breaks as \n), and characters XML 1.0 does not allow are left out.</para>
/// </summary>
public sealed class ProductFeed(StorefrontOptions options)
{
    public const string GoogleNamespace = "http://base.google.com/ns/1.0";

    private sealed record Items(ProductDetail Source, byte[] Utf8);

    private readonly Lock _gate = new();
    private Dictionary<Guid, Items> _items = [];

    /// <summary>How many products' items the last <see cref="Render"/> had to render (the rest were reused).</summary>
    public int LastRendered { get; private set; }

    private string BaseUrl => options.BaseUrl.TrimEnd('/');

    /// <summary>The whole feed for <paramref name="productsById"/> (in id order).</summary>
    public byte[] Render(IReadOnlyList<ProductDetail> productsById)
    {
        lock (_gate)
        {
            var parts = new byte[productsById.Count][];
            var rendered = 0;
            Parallel.For(0, productsById.Count, i =>
            {
                var product = productsById[i];
                if (_items.TryGetValue(product.Id, out var known) && ReferenceEquals(known.Source, product))
                {
                    parts[i] = known.Utf8;
                    return;
                }
                parts[i] = ItemsOf(product);
                Interlocked.Increment(ref rendered);
            });
            // Only the products of this feed stay: archived and deleted ones drop out here.
            var next = new Dictionary<Guid, Items>(productsById.Count);
            for (var i = 0; i < productsById.Count; i++)
            {
                next[productsById[i].Id] = new Items(productsById[i], parts[i]);
            }
            _items = next;
            LastRendered = rendered;

            var head = Encoding.UTF8.GetBytes(Head());
            var tail = "\n  </channel>\n</rss>"u8;
            var length = head.LongLength + tail.Length + parts.Sum(p => (long)p.Length);
            var feed = GC.AllocateUninitializedArray<byte>(checked((int)length));
            var at = 0;
            head.CopyTo(feed, at);
            at += head.Length;
            foreach (var part in parts)
            {
                part.CopyTo(feed, at);
                at += part.Length;
            }
            tail.CopyTo(feed.AsSpan(at));
            return feed;
        }
    }

    private string Head()
    {
        var head = new StringBuilder();
        head.Append("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        head.Append("<rss version=\"2.0\" xmlns:g=\"").Append(GoogleNamespace).Append("\">\n");
        head.Append("  <channel>");
        Element(head, "    ", "title", options.ShopName);
        Element(head, "    ", "link", BaseUrl + "/");
        Element(head, "    ", "description", $"Products of {options.ShopName}");
        return head.ToString();
    }

    private byte[] ItemsOf(ProductDetail p)
    {
        var image = p.Images.FirstOrDefault()?.Url;
        var groupId = p.Id.ToString();
        var description = SiteRenderer.Summary(p.Description);
        var link = $"{BaseUrl}/products/{p.Slug}/";
        var imageLink = image is null ? null : image.StartsWith("http", StringComparison.Ordinal) ? image : BaseUrl + image;
        var xml = new StringBuilder(700 * p.Variants.Count);
        const string inner = "      ";
        foreach (var v in p.Variants.Where(v => v.Status == "active"))
        {
            xml.Append("\n    <item>");
            Element(xml, inner, "g:id", v.Sku);
            Element(xml, inner, "g:item_group_id", groupId);
            Element(xml, inner, "title", $"{p.Title} – {v.Title}");
            Element(xml, inner, "description", description);
            Element(xml, inner, "link", link);
            if (imageLink is not null)
            {
                Element(xml, inner, "g:image_link", imageLink);
            }
            Element(xml, inner, "g:price", $"{MoneyText.Plain(v.Price.Amount, v.Price.Currency)} {v.Price.Currency}");
            Element(xml, inner, "g:availability", v.InStock ? "in_stock" : "out_of_stock");
            Element(xml, inner, "g:condition", "new");
            xml.Append("\n    </item>");
        }
        return Encoding.UTF8.GetBytes(xml.ToString());
    }

    private static void Element(StringBuilder xml, string indent, string name, string? text)
    {
        xml.Append('\n').Append(indent).Append('<').Append(name).Append('>');
        AppendEscaped(xml, text ?? "");
        xml.Append("</").Append(name).Append('>');
    }

    /// <summary>Element text as XmlWriter writes it, minus the characters XML 1.0 forbids (XmlWriter would throw
    /// on them and fail the whole feed).</summary>
    internal static void AppendEscaped(StringBuilder xml, string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '&': xml.Append("&amp;"); break;
                case '<': xml.Append("&lt;"); break;
                case '>': xml.Append("&gt;"); break;
                case '\r':
                    xml.Append('\n');
                    if (i + 1 < text.Length && text[i + 1] == '\n')
                    {
                        i++;
                    }
                    break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                    {
                        xml.Append(c).Append(text[++i]);
                    }
                    else if (XmlConvert.IsXmlChar(c))
                    {
                        xml.Append(c);
                    }
                    break;
            }
        }
    }
}
