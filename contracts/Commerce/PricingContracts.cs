using Headless.Contracts.Catalog;

namespace Headless.Contracts.Commerce;

/// <summary>A rate for parcels from MinWeightGrams up to (not including) MaxWeightGrams, to the listed
/// countries; no countries means every country no other rate of the method names.</summary>
public sealed record ShippingRateInput(IReadOnlyList<string>? Countries, int? MinWeightGrams, int? MaxWeightGrams, long? Amount);

public sealed record CreateShippingMethodRequest(string? Code, string? Name, bool? Active, int? Position, IReadOnlyList<ShippingRateInput>? Rates);

/// <summary>Fields left out stay as they are; Rates, when given, replaces every rate.</summary>
public sealed record UpdateShippingMethodRequest(string? Name, bool? Active, int? Position, IReadOnlyList<ShippingRateInput>? Rates);

public sealed record ShippingRate(IReadOnlyList<string> Countries, int MinWeightGrams, int? MaxWeightGrams, Money Amount);

public sealed record ShippingMethod(Guid Id, string Code, string Name, bool Active, int Position, IReadOnlyList<ShippingRate> Rates, int Version);

public sealed record ShippingMethodList(IReadOnlyList<ShippingMethod> Items);

public sealed record SetTaxRateRequest(int? RateBasisPoints, bool? PricesIncludeTax);

public sealed record TaxRate(string Country, string Region, int RateBasisPoints, bool PricesIncludeTax, int Version);

public sealed record TaxRateList(IReadOnlyList<TaxRate> Items);

/// <summary>Kind "percentage": Value in basis points (1000 = 10 %). Kind "fixed": Value in minor units
/// of the catalog currency.</summary>
public sealed record CreateDiscountCodeRequest(string? Code, string? Kind, long? Value, long? MinSubtotal, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, int? UsageLimit);

public sealed record UpdateDiscountCodeRequest(bool? Active, DateTimeOffset? EndsAt, int? UsageLimit);

public sealed record DiscountCode(Guid Id, string Code, string Kind, long Value, Money MinSubtotal, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, int? UsageLimit, int TimesUsed, bool Active, int Version);

public sealed record DiscountCodeList(IReadOnlyList<DiscountCode> Items);
