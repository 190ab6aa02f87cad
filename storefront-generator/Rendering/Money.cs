using Headless.Contracts.Commerce;

namespace Headless.Storefront.Rendering;

/// <summary>Formats integer minor units for people, in each currency's own number of decimals (ISO 4217,
/// <see cref="MinorUnits"/>): 1250 EUR → €12.50, 1250 JPY → ¥1,250, 1250 KWD → KWD 1.250. Never floating point.</summary>
public static class MoneyText
{
    private static readonly Dictionary<string, string> Symbols = new(StringComparer.OrdinalIgnoreCase)
    {
        ["EUR"] = "€",
        ["USD"] = "$",
        ["GBP"] = "£",
        ["JPY"] = "¥",
        ["CHF"] = "CHF ",
    };

    public static string Format(long amount, string currency)
    {
        var symbol = Symbols.TryGetValue(currency, out var s) ? s : currency.ToUpperInvariant() + " ";
        var number = MinorUnits.Decimal(amount, currency, groupThousands: true);
        return number.StartsWith('-') ? "-" + symbol + number[1..] : symbol + number;
    }

    /// <summary>12.50 for feeds and structured data (no thousands separators there).</summary>
    public static string Plain(long amount, string currency) => MinorUnits.Decimal(amount, currency);
}
