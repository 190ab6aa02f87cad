using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Headless.Api.Features.Catalog.Products;

/// <summary>The opaque keyset cursor of product listings: the sort order it belongs to, the last
/// row's sort key and id. A cursor from another sort order is rejected, not misread.</summary>
public sealed record ProductCursor(string Sort, string Key, Guid Id)
{
    /// <summary>A time as whole microseconds since 1970 (PostgreSQL's precision), the key of newest-first orders.</summary>
    public static long ToMicros(DateTime utc) => (utc.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    public static DateTime FromMicros(long micros) => new(DateTime.UnixEpoch.Ticks + (micros * 10), DateTimeKind.Utc);

    public string Encode() => Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{Sort}\n{Key}\n{Id:N}"));

    public static bool TryDecode(string value, string expectedSort, out ProductCursor cursor)
    {
        cursor = null!;
        if (value.Length > 1024 || !Base64Url.IsValid(value))
        {
            return false;
        }
        string[] parts;
        try
        {
            parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(value)).Split('\n');
        }
        catch (FormatException)
        {
            return false;
        }
        if (parts.Length != 3 || parts[0] != expectedSort || !Guid.TryParseExact(parts[2], "N", out var id))
        {
            return false;
        }
        var keyIsValid = expectedSort switch
        {
            "newest" => long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var micros) && micros < MaxMicros,
            "price_asc" or "price_desc" => long.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
            _ => true,
        };
        if (!keyIsValid)
        {
            return false;
        }
        cursor = new ProductCursor(parts[0], parts[1], id);
        return true;
    }

    // Microseconds from 1970 to the end of year 9999, the range a DateTime can hold.
    private const long MaxMicros = 253_402_300_800_000_000;

    public long LongKey => long.Parse(Key, CultureInfo.InvariantCulture);
}
