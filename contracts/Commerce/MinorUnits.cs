using System.Globalization;

namespace Headless.Contracts.Commerce;

/// <summary>ISO 4217 minor units: how many decimals an amount in minor units has in each currency
/// (EUR 2: 1250 is 12.50; JPY 0: 1250 is 1,250; KWD 3: 1250 is 1.250). Every place that turns an amount
/// into text for people (emails, the storefront, problem messages) goes through here, so no currency
/// is shown a hundred times too big or too small. Currencies not listed have two.</summary>
public static class MinorUnits
{
    /// <summary>The number of decimals of <paramref name="currency"/> (ISO 4217 exponent).</summary>
    public static int Of(string currency) => currency.Trim().ToUpperInvariant() switch
    {
        "BIF" or "CLP" or "DJF" or "GNF" or "ISK" or "JPY" or "KMF" or "KRW" or "PYG" or "RWF" or "UGX" or "UYI"
            or "VND" or "VUV" or "XAF" or "XOF" or "XPF" => 0,
        "BHD" or "IQD" or "JOD" or "KWD" or "LYD" or "OMR" or "TND" => 3,
        "CLF" or "UYW" => 4,
        _ => 2,
    };

    /// <summary>The amount as a decimal number in the currency's own precision, never through floating
    /// point: 1250 EUR → "12.50", 1250 JPY → "1250"; with <paramref name="groupThousands"/> "1,250".</summary>
    public static string Decimal(long amount, string currency, bool groupThousands = false)
    {
        var digits = Of(currency);
        var sign = amount < 0 ? "-" : "";
        var abs = amount == long.MinValue ? (ulong)long.MaxValue + 1 : (ulong)Math.Abs(amount);
        var factor = 1UL;
        for (var i = 0; i < digits; i++)
        {
            factor *= 10;
        }
        var whole = (abs / factor).ToString(groupThousands ? "N0" : "D", CultureInfo.InvariantCulture);
        return digits == 0
            ? sign + whole
            : sign + whole + "." + (abs % factor).ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0');
    }

    /// <summary>"12.50 EUR", "1250 JPY": for emails and messages.</summary>
    public static string WithCode(long amount, string currency) => $"{Decimal(amount, currency)} {currency.Trim().ToUpperInvariant()}";
}
