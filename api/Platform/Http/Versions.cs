using System.Globalization;

namespace Headless.Api.Platform.Http;

/// <summary>Optimistic concurrency on the wire: the ETag of a versioned resource is "v{version}" and
/// admin updates send it back in If-Match.</summary>
public static class Versions
{
    public static string ETag(int version) => $"\"v{version.ToString(CultureInfo.InvariantCulture)}\"";

    public static IfMatch ParseIfMatch(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return IfMatch.Missing;
        }
        var value = header.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal))
        {
            value = value[2..];
        }
        value = value.Trim('"');
        if (value.StartsWith('v') && int.TryParse(value.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            return new IfMatch(version);
        }
        return IfMatch.Invalid;
    }

    public static void SetETag(HttpContext http, int version) => http.Response.Headers.ETag = ETag(version);
}

public readonly record struct IfMatch(int? Version, bool IsInvalid = false)
{
    public static IfMatch Missing => new(null);
    public static IfMatch Invalid => new(null, true);
    public bool IsMissing => Version is null && !IsInvalid;
}
