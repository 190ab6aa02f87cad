using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Headless.Tests.Storefront;

/// <summary>
/// Checks an AWS Signature Version 4 Authorization header against a recorded request, computed here from
/// AWS's published algorithm (canonical request → string to sign → HMAC chain), independently of the SDK
/// that signed it.
/// </summary>
public static partial class SigV4
{
    [GeneratedRegex("^AWS4-HMAC-SHA256 Credential=(?<key>[^/]+)/(?<date>\\d{8})/(?<region>[^/]+)/(?<service>[^/]+)/aws4_request, ?SignedHeaders=(?<headers>[a-z0-9;-]+), ?Signature=(?<sig>[0-9a-f]{64})$")]
    private static partial Regex Authorization();

    public sealed record Parsed(string AccessKey, string Date, string Region, string Service, string[] SignedHeaders, string Signature);

    public static Parsed Parse(string header)
    {
        var m = Authorization().Match(header);
        Assert.True(m.Success, $"Not a SigV4 Authorization header: {header}");
        return new Parsed(m.Groups["key"].Value, m.Groups["date"].Value, m.Groups["region"].Value, m.Groups["service"].Value,
            m.Groups["headers"].Value.Split(';'), m.Groups["sig"].Value);
    }

    public static string Expected(RecordedRequest request, string secretKey)
    {
        var auth = Parse(request.Headers["authorization"]);
        var amzDate = request.Headers["x-amz-date"];
        var canonicalHeaders = new StringBuilder();
        foreach (var name in auth.SignedHeaders)
        {
            canonicalHeaders.Append(name).Append(':').Append(Regex.Replace(request.Headers[name].Trim(), " +", " ")).Append('\n');
        }
        var payloadHash = Hex(SHA256.HashData(request.Body));
        var canonicalRequest = string.Join('\n',
            request.Method,
            string.Join('/', request.Path.Split('/').Select(s => Uri.EscapeDataString(Uri.EscapeDataString(Uri.UnescapeDataString(s))))),
            CanonicalQuery(request.Query),
            canonicalHeaders.ToString(),
            string.Join(';', auth.SignedHeaders),
            payloadHash);
        var scope = $"{auth.Date}/{auth.Region}/{auth.Service}/aws4_request";
        var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secretKey), auth.Date);
        key = Hmac(key, auth.Region);
        key = Hmac(key, auth.Service);
        key = Hmac(key, "aws4_request");
        return Hex(Hmac(key, stringToSign));
    }

    public static DateTime SignedAt(RecordedRequest request) =>
        DateTime.ParseExact(request.Headers["x-amz-date"], "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    private static string CanonicalQuery(string query) => string.Join('&', query.TrimStart('?')
        .Split('&', StringSplitOptions.RemoveEmptyEntries)
        .Select(p => p.Split('=', 2))
        .Select(p => (Uri.EscapeDataString(Uri.UnescapeDataString(p[0])), Uri.EscapeDataString(Uri.UnescapeDataString(p.Length > 1 ? p[1] : ""))))
        .OrderBy(p => p.Item1, StringComparer.Ordinal).ThenBy(p => p.Item2, StringComparer.Ordinal)
        .Select(p => $"{p.Item1}={p.Item2}"));

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
