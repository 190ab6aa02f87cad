using System.Globalization;

namespace Headless.Storefront.Rendering;

/// <summary>Formats integer minor units for people: 1250 EUR → €12.50. Never floating point.</summary>
public static class MoneyText
{
    private static readonly Dictionary<string, (string Symbol, int Digits)> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        ["EUR"] = ("€", 2),
        ["USD"] = ("$", 2),
        ["GBP"] = ("£", 2),
        ["JPY"] = ("¥", 0),
        ["CHF"] = ("CHF ", 2),
    };

    public static string Format(long amount, string currency)
    {
        var (symbol, digits) = Known.TryGetValue(currency, out var k) ? k : (currency.ToUpperInvariant() + " ", 2);
        return symbol + Decimal(amount, digits);
    }

    /// <summary>12.50 for feeds and structured data.</summary>
    public static string Plain(long amount, string currency) =>
        Decimal(amount, Known.TryGetValue(currency, out var k) ? k.Digits : 2);

    private static string Decimal(long amount, int digits)
    {
        if (digits == 0)
        {
            return amount.ToString("N0", CultureInfo.InvariantCulture);
        }
        var factor = digits == 2 ? 100 : (long)Math.Pow(10, digits);
        var sign = amount < 0 ? "-" : "";
        amount = Math.Abs(amount);
        return sign + (amount / factor).ToString("N0", CultureInfo.InvariantCulture) + "." + (amount % factor).ToString(new string('0', digits), CultureInfo.InvariantCulture);
    }
}
