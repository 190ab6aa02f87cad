namespace Headless.Api.Features.Pricing;

/// <summary>What a basket costs: pure arithmetic on minor units, so carts and checkout agree to the cent.</summary>
public static class PriceCalculator
{
    public sealed record Line(long UnitPrice, int Quantity);

    public sealed record Discount(string Kind, long Value);

    public sealed record Totals(long Subtotal, long Discount, long Shipping, long Tax, long Total, bool TaxIncluded, int TaxRateBasisPoints);

    /// <summary>
    /// The discount comes off the goods first; shipping is added; tax follows the destination's rule:
    /// with tax-inclusive prices (EU VAT) the tax is the part of the gross total that is tax, otherwise it
    /// is added to the net total. Tax is rounded half away from zero, once, on the order.
    /// </summary>
    public static Totals Compute(IEnumerable<Line> lines, Discount? discount, long shipping, int taxRateBasisPoints, bool pricesIncludeTax)
    {
        var subtotal = lines.Sum(l => checked(l.UnitPrice * l.Quantity));
        var off = discount is null ? 0 : DiscountAmount(subtotal, discount);
        var taxable = subtotal - off + shipping;
        long tax;
        long total;
        if (pricesIncludeTax)
        {
            tax = RoundedDivide(checked(taxable * taxRateBasisPoints), 10_000 + taxRateBasisPoints);
            total = taxable;
        }
        else
        {
            tax = RoundedDivide(checked(taxable * taxRateBasisPoints), 10_000);
            total = taxable + tax;
        }
        return new Totals(subtotal, off, shipping, tax, total, pricesIncludeTax, taxRateBasisPoints);
    }

    public static long DiscountAmount(long subtotal, Discount discount) => discount.Kind switch
    {
        "percentage" => Math.Min(subtotal, subtotal * discount.Value / 10_000),
        _ => Math.Min(subtotal, discount.Value),
    };

    private static long RoundedDivide(long numerator, long denominator) => (numerator + denominator / 2) / denominator;
}
