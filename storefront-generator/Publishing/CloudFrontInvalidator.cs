using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Xml;
using Amazon.Runtime;
using Amazon.Runtime.Signing;

namespace Headless.Storefront.Publishing;

/// <summary>
/// CloudFront's CreateInvalidation (REST API 2020-05-31) as one SigV4-signed POST, since AWSSDK.CloudFront
/// cannot be installed here: <c>POST /2020-05-31/distribution/{id}/invalidation</c> with an
/// <c>InvalidationBatch</c> body. Each page is invalidated under every URL it is served at (see
/// <see cref="PublicUrls"/>). Up to <see cref="MaxPaths"/> paths go in one batch; more than that would
/// exceed CloudFront's limit on paths in progress, so the batch becomes the single wildcard <c>/*</c>.
/// </summary>
public sealed class CloudFrontInvalidator(HttpClient http, string distributionId)
{
    public const int MaxPaths = 3000;
    public const string Namespace = "http://cloudfront.amazonaws.com/doc/2020-05-31/";

    /// <summary>An HttpClient that signs every request for CloudFront (service "cloudfront", region us-east-1).</summary>
    public static HttpClient SignedClient(AWSCredentials credentials, string endpoint, HttpMessageHandler? inner = null) =>
        new(new SigV4SigningHandler(credentials, Amazon.RegionEndpoint.USEast1, "cloudfront", inner ?? new SocketsHttpHandler()))
        {
            BaseAddress = new Uri(endpoint.TrimEnd('/') + "/"),
        };

    public static string BatchXml(IReadOnlyList<string> paths, string callerReference)
    {
        var builder = new StringBuilder();
        using (var w = XmlWriter.Create(builder, new XmlWriterSettings { OmitXmlDeclaration = false, Encoding = Encoding.UTF8 }))
        {
            w.WriteStartDocument();
            w.WriteStartElement("InvalidationBatch", Namespace);
            w.WriteStartElement("Paths", Namespace);
            w.WriteElementString("Quantity", Namespace, paths.Count.ToString(CultureInfo.InvariantCulture));
            w.WriteStartElement("Items", Namespace);
            foreach (var path in paths)
            {
                w.WriteElementString("Path", Namespace, path);
            }
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteElementString("CallerReference", Namespace, callerReference);
            w.WriteEndElement();
            w.WriteEndDocument();
        }
        // StringBuilder-backed writers declare utf-16; the body is sent as UTF-8.
        return builder.ToString().Replace("encoding=\"utf-16\"", "encoding=\"UTF-8\"", StringComparison.Ordinal);
    }

    /// <summary>Invalidates the paths (URL-encoded as CloudFront expects) in one call; returns the invalidation id.</summary>
    public async Task<string> InvalidateAsync(IReadOnlyList<string> paths, CancellationToken ct)
    {
        var distinct = paths.SelectMany(PublicUrls).Distinct(StringComparer.Ordinal).Select(EncodePath).ToList();
        if (distinct.Count > MaxPaths)
        {
            distinct = ["/*"];
        }
        var body = BatchXml(distinct, $"headless-{DateTime.UtcNow:yyyyMMddTHHmmssfff}-{Guid.NewGuid():N}");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"2020-05-31/distribution/{Uri.EscapeDataString(distributionId)}/invalidation")
        {
            Content = new StringContent(body, Encoding.UTF8, "text/xml"),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/xml");
        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"CloudFront refused the invalidation ({(int)response.StatusCode}): {text}");
        }
        try
        {
            var doc = new XmlDocument();
            doc.LoadXml(text);
            var ns = new XmlNamespaceManager(doc.NameTable);
            ns.AddNamespace("cf", Namespace);
            return doc.SelectSingleNode("/cf:Invalidation/cf:Id", ns)?.InnerText ?? "";
        }
        catch (XmlException)
        {
            return "";
        }
    }

    /// <summary>The URLs a published file is served under. Visitors and crawlers ask for `/products/x/` (and
    /// `/products/x`, which the CDN maps to the same object), not for the object key; invalidating only
    /// `/products/x/index.html` would leave the page people actually load stale in the cache.</summary>
    public static IEnumerable<string> PublicUrls(string objectPath)
    {
        const string Index = "index.html";
        yield return objectPath;
        if (objectPath.EndsWith("/" + Index, StringComparison.Ordinal))
        {
            var folder = objectPath[..^Index.Length];
            yield return folder;
            if (folder.Length > 1)
            {
                yield return folder.TrimEnd('/');
            }
        }
    }

    // Paths are object paths such as /products/linen-tote/index.html; anything outside unreserved characters is percent-encoded.
    private static string EncodePath(string path) => string.Join('/', path.Split('/').Select(s => s == "*" ? s : Uri.EscapeDataString(s)));
}
