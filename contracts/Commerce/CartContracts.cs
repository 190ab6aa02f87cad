using Headless.Contracts.Catalog;

namespace Headless.Contracts.Commerce;

/// <summary>Creates an empty cart. Currency, when given, must be the catalog's.</summary>
public sealed record CreateCartRequest(string? Currency);

public sealed record AddCartLineRequest(string? Sku, int? Quantity);

public sealed record SetCartLineRequest(int? Quantity);

/// <summary>Where the cart ships and how, for the shipping and tax estimate, and its discount code.
/// A field left out stays as it is; an empty string clears it.</summary>
public sealed record UpdateCartRequest(string? Country, string? Region, string? ShippingMethod, string? DiscountCode);

/// <summary>Moves a guest cart's lines into the signed-in customer's cart.</summary>
public sealed record MergeCartRequest(string? CartToken);

public sealed record Cart(
    Guid Id,
    string Token,
    string Status,
    string Currency,
    IReadOnlyList<CartLine> Lines,
    CartTotals Totals,
    string? Country,
    string? Region,
    string? ShippingMethod,
    AppliedDiscount? Discount,
    IReadOnlyList<ShippingOption> ShippingOptions,
    IReadOnlyList<CartIssue> Issues,
    int Version,
    DateTimeOffset UpdatedAt);

/// <summary>A line at today's price and availability. Purchasable is false when the variant is gone or
/// there is not enough stock for the quantity; checkout refuses such a cart.</summary>
public sealed record CartLine(
    string Sku,
    Guid ProductId,
    string ProductSlug,
    string Title,
    string VariantTitle,
    Money UnitPrice,
    int Quantity,
    Money LineTotal,
    int WeightGrams,
    int Available,
    bool Purchasable);

/// <summary>Totals in minor units. TaxIncluded: prices already contain the tax (EU VAT), so Tax is the
/// part of Total that is tax; otherwise Tax was added on top.</summary>
public sealed record CartTotals(Money Subtotal, Money Discount, Money Shipping, Money Tax, Money Total, bool TaxIncluded, int TaxRateBasisPoints, int ItemCount, int WeightGrams);

public sealed record ShippingOption(string Code, string Name, Money Price);

public sealed record AppliedDiscount(string Code, string Kind, long Value, Money Amount);

/// <summary>Something to fix before checkout: a line out of stock, a discount that no longer applies.</summary>
public sealed record CartIssue(string Code, string Message, string? Sku);
