using System.Buffers.Text;
using System.Text;

namespace Headless.Api.Features.Catalog.Admin;

/// <summary>The opaque keyset cursor of the admin lists: the order it belongs to ("title:asc"), the last
/// row's sort key and its tie-breaker. A cursor from another order is refused, never misread.</summary>
public sealed record AdminListCursor(string Order, string Key, string Tie)
{
    public string Encode() => Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{Order}\n{Key}\n{Tie}"));

    public static AdminListCursor? TryDecode(string value, string expectedOrder)
    {
        if (value.Length > 1024 || !Base64Url.IsValid(value))
        {
            return null;
        }
        try
        {
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(value)).Split('\n');
            return parts.Length == 3 && parts[0] == expectedOrder ? new AdminListCursor(parts[0], parts[1], parts[2]) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public const string Invalid = "This cursor does not belong to this sort and order. Pass the previous page's nextCursor unchanged, or omit it to start over.";

    /// <summary>ILIKE '%text%' with the text's own % and _ matched literally.</summary>
    public static string Contains(string text) =>
        "%" + text.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal) + "%";
}
