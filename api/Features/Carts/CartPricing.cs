using Headless.Api.Features.Pricing;
using Headless.Api.Platform.Http;
using Headless.Contracts.Catalog;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Features.Carts;

/// <summary>Prices a cart for a destination: lines at today's prices, shipping options for its weight,
/// the discount code if it still applies, and tax. Carts and checkout both use it, so they agree.</summary>
public static class CartPricing
{
    public sealed record Choices(string? Country, string? Region, string? ShippingMethod, string? DiscountCode);

    public sealed record Priced(
        CartStore.LoadedCart Cart,
        Choices Choices,
        PriceCalculator.Totals Totals,
        IReadOnlyList<ShippingOption> Options,
        PricingRules.MethodRow? Method,
        DiscountCodes.Row? Discount,
        IReadOnlyList<CartIssue> Issues)
    {
        public int WeightGrams => Cart.Lines.Sum(l => l.WeightGrams * l.Quantity);
    }

    public static async Task<Priced> PriceAsync(NpgsqlConnection conn, PricingRules rules, CartStore.LoadedCart cart, Choices choices, CancellationToken ct)
    {
        var snapshot = await rules.GetAsync(ct);
        var currency = cart.Row.Currency.Trim();
        var issues = new List<CartIssue>();
        foreach (var line in cart.Lines)
        {
            if (!string.Equals(line.Currency.Trim(), currency, StringComparison.Ordinal))
            {
                issues.Add(new("currency-mismatch", $"{line.Title} ({line.VariantTitle}) is priced in {line.Currency.Trim()}, the cart in {currency}. Remove it to check out.", line.Sku));
            }
            else if (!line.Active)
            {
                issues.Add(new("unavailable", $"{line.Title} ({line.VariantTitle}) is no longer sold. Remove it to check out.", line.Sku));
            }
            else if (line.Available < line.Quantity)
            {
                issues.Add(new("insufficient-stock", line.Available <= 0
                    ? $"{line.Title} ({line.VariantTitle}) is sold out."
                    : $"Only {line.Available} of {line.Title} ({line.VariantTitle}) left; lower the quantity to check out.", line.Sku));
            }
        }
        var subtotal = cart.Lines.Sum(l => l.UnitPrice * l.Quantity);
        var weight = cart.Lines.Sum(l => l.WeightGrams * l.Quantity);

        var options = new List<ShippingOption>();
        PricingRules.MethodRow? method = null;
        long shipping = 0;
        if (choices.Country is { } country)
        {
            foreach (var (m, amount) in snapshot.OptionsFor(country, weight))
            {
                options.Add(new ShippingOption(m.Code, m.Name, new Money(amount, currency)));
                if (m.Code == choices.ShippingMethod)
                {
                    method = m;
                    shipping = amount;
                }
            }
            if (choices.ShippingMethod is { } wanted && method is null)
            {
                issues.Add(new("shipping-method-unavailable", $"The shipping method '{wanted}' does not ship this cart to {country}. Choose one of the shipping options.", null));
            }
        }

        DiscountCodes.Row? discount = null;
        if (choices.DiscountCode is { } code)
        {
            var row = await DiscountCodes.FindAsync(conn, code);
            if (DiscountCodes.WhyNot(row, subtotal, currency, DateTime.UtcNow) is { } why)
            {
                issues.Add(new("discount-not-applicable", why, null));
            }
            else
            {
                discount = row;
            }
        }

        var tax = choices.Country is { } c ? snapshot.TaxFor(c, choices.Region) : null;
        var totals = PriceCalculator.Compute(
            cart.Lines.Select(l => new PriceCalculator.Line(l.UnitPrice, l.Quantity)),
            discount is null ? null : new PriceCalculator.Discount(discount.Kind, discount.Value),
            shipping, tax?.RateBasisPoints ?? 0, tax?.PricesIncludeTax ?? false);
        return new Priced(cart, choices, totals, options, method, discount, issues);
    }

    public static Cart ToContract(Priced priced)
    {
        var cart = priced.Cart;
        var currency = cart.Row.Currency.Trim();
        Money M(long amount) => new(amount, currency);
        var t = priced.Totals;
        return new Cart(
            cart.Row.Id,
            cart.Token,
            cart.Row.Status,
            currency,
            cart.Lines.Select(l => new CartLine(l.Sku, l.ProductId, l.ProductSlug, l.Title, l.VariantTitle, M(l.UnitPrice), l.Quantity,
                M(l.UnitPrice * l.Quantity), l.WeightGrams, Math.Max(l.Available, 0), l.Purchasable)).ToList(),
            new CartTotals(M(t.Subtotal), M(t.Discount), M(t.Shipping), M(t.Tax), M(t.Total), t.TaxIncluded, t.TaxRateBasisPoints,
                cart.Lines.Sum(l => l.Quantity), priced.WeightGrams),
            priced.Choices.Country,
            priced.Choices.Region,
            priced.Choices.ShippingMethod,
            priced.Discount is { } d ? new AppliedDiscount(d.Code, d.Kind, d.Value, M(t.Discount)) : null,
            priced.Options,
            priced.Issues,
            cart.Row.Version,
            DateTime.SpecifyKind(cart.Row.UpdatedAt, DateTimeKind.Utc));
    }

    public static Choices ChoicesOf(CartStore.CartRow row) => new(row.Country?.Trim(), row.Region, row.ShippingMethod, row.DiscountCode);

    /// <summary>The answer of every cart read and line write: the cart priced now, its version as the ETag.</summary>
    public static async Task<Ok<Cart>> OkAsync(NpgsqlConnection conn, PricingRules rules, HttpContext http, CartStore.LoadedCart cart, CancellationToken ct)
    {
        var view = await ViewAsync(conn, rules, cart, ct);
        Versions.SetETag(http, view.Version);
        return TypedResults.Ok(view);
    }

    public static async Task<Cart> ViewAsync(NpgsqlConnection conn, PricingRules rules, CartStore.LoadedCart cart, CancellationToken ct) =>
        ToContract(await PriceAsync(conn, rules, cart, ChoicesOf(cart.Row), ct));
}
