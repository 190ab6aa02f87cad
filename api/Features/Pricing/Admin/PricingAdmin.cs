using Dapper;
using FluentValidation;
using Headless.Api.Features.Catalog.Admin;
using Headless.Api.Platform.Geography;
using Headless.Contracts.Catalog;
using Headless.Contracts.Commerce;
using Npgsql;

namespace Headless.Api.Features.Pricing.Admin;

/// <summary>SQL and rules shared by the pricing admin endpoints.</summary>
public static class PricingAdmin
{
    public static async Task<ShippingMethod?> LoadMethodAsync(NpgsqlConnection conn, string currency, NpgsqlTransaction? tx, Guid? id = null, string? code = null)
    {
        var method = await conn.QuerySingleOrDefaultAsync<PricingRules.MethodRow>(
            "select id, code, name, active, position, version from shipping_methods where id = @id or code = @code", new { id, code }, tx);
        if (method is null)
        {
            return null;
        }
        var rates = await conn.QueryAsync<PricingRules.RateRow>(
            "select method_id, countries, min_weight_grams, max_weight_grams, amount from shipping_rates where method_id = @id order by min_weight_grams, countries",
            new { id = method.Id }, tx);
        return ToContract(method, rates, currency);
    }

    public static ShippingMethod ToContract(PricingRules.MethodRow m, IEnumerable<PricingRules.RateRow> rates, string currency) =>
        new(m.Id, m.Code, m.Name, m.Active, m.Position,
            rates.Select(r => new ShippingRate(r.Countries, r.MinWeightGrams, r.MaxWeightGrams, new Money(r.Amount, currency))).ToList(), m.Version);

    public static Task ReplaceRatesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid methodId, IReadOnlyList<ShippingRateInput> rates) =>
        conn.ExecuteAsync("""
            delete from shipping_rates where method_id = @methodId;
            insert into shipping_rates (id, method_id, countries, min_weight_grams, max_weight_grams, amount)
            select gen_random_uuid(), @methodId, string_to_array(r.countries, ','), r.min_weight, r.max_weight, r.amount
            from unnest(@countries, @minWeights, @maxWeights, @amounts) as r(countries, min_weight, max_weight, amount);
            """, new
        {
            methodId,
            countries = rates.Select(r => string.Join(',', r.Countries ?? [])).ToArray(),
            minWeights = rates.Select(r => r.MinWeightGrams ?? 0).ToArray(),
            maxWeights = rates.Select(r => r.MaxWeightGrams).ToArray(),
            amounts = rates.Select(r => r.Amount!.Value).ToArray(),
        }, tx);

    public static DiscountCode ToContract(DiscountCodes.Row r) => new(r.Id, r.Code, r.Kind, r.Value, new Money(r.MinSubtotal, r.Currency.Trim()),
        r.StartsAt is { } s ? Orders.OrderStore.Utc(s) : null, r.EndsAt is { } e ? Orders.OrderStore.Utc(e) : null, r.UsageLimit, r.TimesUsed, r.Active, r.Version);

    public const string CodePattern = "^[A-Za-z0-9_-]{3,40}$";
}

public sealed class ShippingRateInputValidator : AbstractValidator<ShippingRateInput>
{
    public ShippingRateInputValidator()
    {
        RuleForEach(r => r.Countries).Must(Countries.IsCode).WithMessage("Use ISO 3166 two-letter country codes in capitals, like DE or US.");
        RuleFor(r => r.Countries).Must(c => c is null || c.Count <= 250);
        RuleFor(r => r.MinWeightGrams).GreaterThanOrEqualTo(0);
        RuleFor(r => r.MaxWeightGrams).GreaterThan(r => r.MinWeightGrams ?? 0).When(r => r.MaxWeightGrams is not null)
            .WithMessage("maxWeightGrams must be above minWeightGrams.");
        RuleFor(r => r.Amount).NotNull().WithMessage("amount is required (minor units).").InclusiveBetween(0, CatalogRules.MaxPrice);
    }
}

public sealed class CreateShippingMethodRequestValidator : AbstractValidator<CreateShippingMethodRequest>
{
    public CreateShippingMethodRequestValidator()
    {
        RuleFor(r => r.Code).NotEmpty().WithMessage("code is required.").Matches("^[a-z0-9-]{2,40}$").WithMessage("Lower-case letters, digits and dashes, 2 to 40.");
        RuleFor(r => r.Name).NotEmpty().WithMessage("name is required.").MaximumLength(100);
        RuleFor(r => r.Rates).NotEmpty().WithMessage("Give at least one rate.").Must(r => r is null || r.Count <= 200);
        RuleForEach(r => r.Rates).SetValidator(new ShippingRateInputValidator());
    }
}

public sealed class UpdateShippingMethodRequestValidator : AbstractValidator<UpdateShippingMethodRequest>
{
    public UpdateShippingMethodRequestValidator()
    {
        RuleFor(r => r.Name).NotEmpty().When(r => r.Name is not null).MaximumLength(100);
        RuleFor(r => r.Rates).Must(r => r is null || r.Count is > 0 and <= 200).WithMessage("Give 1 to 200 rates.");
        RuleForEach(r => r.Rates).SetValidator(new ShippingRateInputValidator());
    }
}

public sealed class SetTaxRateRequestValidator : AbstractValidator<SetTaxRateRequest>
{
    public SetTaxRateRequestValidator()
    {
        RuleFor(r => r.RateBasisPoints).NotNull().WithMessage("rateBasisPoints is required (1900 = 19 %).").InclusiveBetween(0, 10000);
        RuleFor(r => r.PricesIncludeTax).NotNull().WithMessage("pricesIncludeTax is required: true where shelf prices include tax (EU VAT).");
    }
}

public sealed class CreateDiscountCodeRequestValidator : AbstractValidator<CreateDiscountCodeRequest>
{
    public CreateDiscountCodeRequestValidator()
    {
        RuleFor(r => r.Code).NotEmpty().WithMessage("code is required.").Matches(PricingAdmin.CodePattern).WithMessage("Letters, digits, _ and -, 3 to 40.");
        RuleFor(r => r.Kind).Must(k => k is "percentage" or "fixed").WithMessage("kind is 'percentage' or 'fixed'.");
        RuleFor(r => r.Value).NotNull().WithMessage("value is required.").GreaterThan(0);
        RuleFor(r => r.Value).LessThanOrEqualTo(10000).When(r => r.Kind == "percentage").WithMessage("A percentage is in basis points: 1 to 10000 (1000 = 10 %).");
        RuleFor(r => r.Value).LessThanOrEqualTo(CatalogRules.MaxPrice).When(r => r.Kind == "fixed");
        RuleFor(r => r.MinSubtotal).InclusiveBetween(0, CatalogRules.MaxPrice);
        RuleFor(r => r.EndsAt).GreaterThan(r => r.StartsAt).When(r => r.StartsAt is not null && r.EndsAt is not null).WithMessage("endsAt must be after startsAt.");
        RuleFor(r => r.UsageLimit).GreaterThan(0).When(r => r.UsageLimit is not null);
    }
}

public sealed class UpdateDiscountCodeRequestValidator : AbstractValidator<UpdateDiscountCodeRequest>
{
    public UpdateDiscountCodeRequestValidator()
    {
        RuleFor(r => r.UsageLimit).GreaterThan(0).When(r => r.UsageLimit is not null);
    }
}
