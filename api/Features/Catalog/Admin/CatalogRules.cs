using System.Text.RegularExpressions;
using FluentValidation;
using Headless.Contracts.Admin;
using Microsoft.Extensions.Options;

namespace Headless.Api.Features.Catalog.Admin;

/// <summary>The field rules shared by the admin catalog requests.</summary>
public static partial class CatalogRules
{
    public const long MaxPrice = 10_000_000; // 100,000.00 in a two-decimal currency: above that is a typo, not a price
    public const int MaxStock = 1_000_000;

    [GeneratedRegex("^[a-z0-9]+(?:-[a-z0-9]+)*$")]
    private static partial Regex SlugPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex SkuPattern();

    [GeneratedRegex("^[a-z0-9]+(?:-[a-z0-9]+)*$")]
    private static partial Regex TagPattern();

    public static IRuleBuilderOptions<T, string?> Slug<T>(this IRuleBuilder<T, string?> rule) => rule
        .NotEmpty().WithMessage("A slug is required.")
        .MaximumLength(120)
        .Matches(SlugPattern()).WithMessage("Use lowercase letters, digits and single hyphens, like 'beeswax-wrap'.")
        .Must(s => !Guid.TryParse(s, out _)).WithMessage("A slug must not look like an id.");

    public static IRuleBuilderOptions<T, string?> Sku<T>(this IRuleBuilder<T, string?> rule) => rule
        .NotEmpty().WithMessage("A SKU is required.")
        .Matches(SkuPattern()).WithMessage("Use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.");

    public static IRuleBuilderOptions<T, string?> Title<T>(this IRuleBuilder<T, string?> rule) => rule
        .NotEmpty().WithMessage("A title is required.")
        .MaximumLength(200)
        .Must(NoControlCharacters).WithMessage("A title must not contain control characters.");

    public static IRuleBuilderOptions<T, string?> Status<T>(this IRuleBuilder<T, string?> rule) => rule
        .Must(s => s is null or "draft" or "active").WithMessage("Use 'draft' or 'active' (archive with the archive route).");

    public static void Tags<T>(this IRuleBuilder<T, List<string>?> rule) => rule
        .Must(t => t is null || t.Count <= 30).WithMessage("At most 30 tags.")
        .ForEach(tag => tag.NotEmpty().MaximumLength(50).Matches(TagPattern()).WithMessage("Tags are lowercase words joined by hyphens, like 'plastic-free'."));

    public static void Options<T>(this IRuleBuilder<T, Dictionary<string, string>?> rule) => rule
        .Must(o => o is null || o.Count <= 5).WithMessage("At most 5 options.")
        .Must(o => o is null || o.All(kv => kv.Key.Length is > 0 and <= 30 && kv.Value.Length is > 0 and <= 50 && NoControlCharacters(kv.Key) && NoControlCharacters(kv.Value)))
        .WithMessage("Option names are 1-30 characters and values 1-50, like {\"size\": \"M\"}.");

    public static void Weight<T>(this IRuleBuilder<T, int?> rule) => rule
        .InclusiveBetween(0, 100_000).WithMessage("Weight is in grams, from 0 to 100000.");

    public static bool NoControlCharacters(string? value) => value is null || !value.Any(char.IsControl);

    public static void ShortText<T>(this IRuleBuilder<T, string?> rule, int max) => rule
        .MaximumLength(max).Must(NoControlCharacters).WithMessage("Control characters (line breaks, tabs) are not allowed here.");

    public static void OptionNames<T>(this IRuleBuilder<T, List<string>?> rule) => rule
        .Must(n => n is null || n.Count <= 5).WithMessage("At most 5 option names.")
        .Must(n => n is null || n.All(x => x is { Length: > 0 and <= 30 } && NoControlCharacters(x)))
        .WithMessage("Option names are 1-30 characters, like 'Size'.")
        .Must(n => n is null || n.Distinct(StringComparer.Ordinal).Count() == n.Count).WithMessage("Each option name once.");
}

public sealed class MoneyInputValidator : AbstractValidator<MoneyInput>
{
    public MoneyInputValidator(IOptions<CatalogOptions> options)
    {
        var currency = options.Value.Currency;
        RuleFor(m => m.Amount).NotNull().WithMessage("The amount in minor units is required.")
            .InclusiveBetween(0, CatalogRules.MaxPrice).WithMessage($"The amount is in minor units, from 0 to {CatalogRules.MaxPrice}.");
        RuleFor(m => m.Currency).NotEmpty().WithMessage("The currency is required.")
            .Equal(currency).WithMessage($"Catalog prices are in {currency}.");
    }
}

public sealed class ImageInputValidator : AbstractValidator<ImageInput>
{
    public ImageInputValidator()
    {
        RuleFor(i => i.Url).NotEmpty().MaximumLength(2000)
            .Must(u => u is not null && (u.StartsWith('/') && !u.StartsWith("//", StringComparison.Ordinal)
                || Uri.TryCreate(u, UriKind.Absolute, out var abs) && abs.Scheme == Uri.UriSchemeHttps))
            .WithMessage("Use a site path like /images/x.jpg or an https:// URL.");
        RuleFor(i => i.Alt).NotNull().WithMessage("Alt text is required (it may be empty for decorative images).").MaximumLength(300);
        RuleFor(i => i.Width).NotNull().InclusiveBetween(1, 10_000);
        RuleFor(i => i.Height).NotNull().InclusiveBetween(1, 10_000);
    }
}

public sealed class CreateVariantRequestValidator : AbstractValidator<CreateVariantRequest>
{
    public CreateVariantRequestValidator(IValidator<MoneyInput> money)
    {
        RuleFor(v => v.Sku).Sku();
        RuleFor(v => v.Title).MaximumLength(100).Must(CatalogRules.NoControlCharacters);
        RuleFor(v => v.Options).Options();
        RuleFor(v => v.Price).NotNull().WithMessage("A price is required.").SetValidator(money!);
        RuleFor(v => v.WeightGrams).NotNull().WithMessage("A weight in grams is required.").Weight();
        RuleFor(v => v.InitialStock).InclusiveBetween(0, CatalogRules.MaxStock);
        RuleFor(v => v.CompareAtPrice).SetValidator(money!).When(v => v.CompareAtPrice is not null);
        RuleFor(v => v.CompareAtPrice!.Amount)
            .GreaterThan(v => v.Price!.Amount).WithMessage("The compare-at price must be greater than the price (it is the 'was' price shown struck through).")
            .When(v => v.CompareAtPrice?.Amount is not null && v.Price?.Amount is not null)
            .OverridePropertyName("compareAtPrice");
    }
}

public sealed class CreateProductRequestValidator : AbstractValidator<CreateProductRequest>
{
    public CreateProductRequestValidator(IValidator<CreateVariantRequest> variant, IValidator<ImageInput> image)
    {
        RuleFor(p => p.Slug).Slug();
        RuleFor(p => p.Title).Title();
        RuleFor(p => p.Description).MaximumLength(20_000);
        RuleFor(p => p.Status).Status();
        RuleFor(p => p.Images).Must(i => i is null || i.Count <= 20).WithMessage("At most 20 images.");
        RuleForEach(p => p.Images).SetValidator(image);
        RuleFor(p => p.Tags).Tags();
        RuleFor(p => p.CategoryIds).Must(c => c is null || c.Count <= 10).WithMessage("At most 10 categories.");
        RuleFor(p => p.Variants).Must(v => v is null || v.Count <= 100).WithMessage("At most 100 variants.")
            .Must(v => v is null || v.Where(x => x?.Sku is not null).GroupBy(x => x.Sku).All(g => g.Count() == 1))
            .WithMessage("Each variant needs its own SKU.");
        RuleFor(p => p.Variants).Must(v => v is { Count: > 0 })
            .When(p => p.Status == "active").WithMessage("An active product needs at least one variant.");
        RuleForEach(p => p.Variants).NotNull().SetValidator(variant);
        RuleFor(p => p.SeoTitle).ShortText(200);
        RuleFor(p => p.SeoDescription).MaximumLength(500).Must(CatalogRules.NoControlCharacters).WithMessage("No control characters.");
        RuleFor(p => p.Vendor).ShortText(100);
        RuleFor(p => p.ProductType).ShortText(100);
        RuleFor(p => p.OptionNames).OptionNames();
        RuleFor(p => p).Custom((p, context) =>
        {
            if (p.OptionNames is null || p.Variants is null)
            {
                return;
            }
            foreach (var (field, message) in ProductWrites.UnknownOptions(p.OptionNames,
                         p.Variants.Select((x, i) => ($"variants[{i}].options", (IReadOnlyDictionary<string, string>?)x?.Options))))
            {
                context.AddFailure(field, message);
            }
        });
    }
}

public sealed class UpdateProductRequestValidator : AbstractValidator<UpdateProductRequest>
{
    public UpdateProductRequestValidator(IValidator<ImageInput> image)
    {
        RuleFor(p => p.Slug).Slug().When(p => p.Slug is not null);
        RuleFor(p => p.Title).Title().When(p => p.Title is not null);
        RuleFor(p => p.Description).MaximumLength(20_000);
        RuleFor(p => p.Status).Status();
        RuleFor(p => p.Images).Must(i => i is null || i.Count <= 20).WithMessage("At most 20 images.");
        RuleForEach(p => p.Images).SetValidator(image);
        RuleFor(p => p.Tags).Tags();
        RuleFor(p => p.CategoryIds).Must(c => c is null || c.Count <= 10).WithMessage("At most 10 categories.");
        RuleFor(p => p.SeoTitle).ShortText(200);
        RuleFor(p => p.SeoDescription).MaximumLength(500).Must(CatalogRules.NoControlCharacters).WithMessage("No control characters.");
        RuleFor(p => p.Vendor).ShortText(100);
        RuleFor(p => p.ProductType).ShortText(100);
        RuleFor(p => p.OptionNames).OptionNames();
    }
}

public sealed class UpdateVariantRequestValidator : AbstractValidator<UpdateVariantRequest>
{
    public UpdateVariantRequestValidator(IValidator<MoneyInput> money)
    {
        RuleFor(v => v.Title).MaximumLength(100).Must(CatalogRules.NoControlCharacters);
        RuleFor(v => v.Options).Options();
        RuleFor(v => v.Price).SetValidator(money!).When(v => v.Price is not null);
        RuleFor(v => v.WeightGrams).Weight();
        RuleFor(v => v.CompareAtPrice).SetValidator(money!).When(v => v.CompareAtPrice is not null);
        RuleFor(v => v.CompareAtPrice!.Amount)
            .GreaterThan(v => v.Price!.Amount).WithMessage("The compare-at price must be greater than the price (it is the 'was' price shown struck through).")
            .When(v => v.CompareAtPrice?.Amount is not null && v.Price?.Amount is not null)
            .OverridePropertyName("compareAtPrice");
        RuleFor(v => v.RemoveCompareAtPrice).Must(r => r != true).When(v => v.CompareAtPrice is not null)
            .WithMessage("Send either compareAtPrice or removeCompareAtPrice: true, not both.");
    }
}
