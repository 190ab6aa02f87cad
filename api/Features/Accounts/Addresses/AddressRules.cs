using Dapper;
using FluentValidation;
using Headless.Contracts.Accounts;
using Npgsql;

namespace Headless.Api.Features.Accounts.Addresses;

public static class AddressRules
{
    public const int MaxPerUser = 20;

    public static bool IsCountry(string? code) => Headless.Api.Platform.Geography.Countries.IsCode(code);

    public const string Columns = "id, kind, is_default, full_name, line1, line2, city, region, postal_code, country, phone, version";

    public static async Task<List<Address>> ListAsync(NpgsqlConnection conn, Guid userId, NpgsqlTransaction? tx = null) =>
        (await conn.QueryAsync<Row>($"select {Columns} from addresses where user_id = @userId order by kind, is_default desc, created_at",
            new { userId }, tx)).Select(r => r.ToContract()).ToList();

    /// <summary>At most one default per kind: setting a new default clears the old one first.</summary>
    public static Task ClearDefaultAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid userId, string kind) =>
        conn.ExecuteAsync("update addresses set is_default = false where user_id = @userId and kind = @kind and is_default", new { userId, kind }, tx);

    /// <summary>The SQL parameters of an address row, for insert and update alike.</summary>
    public static object Parameters(Guid id, Guid userId, AddressInput input) => new
    {
        id,
        userId,
        input.Kind,
        isDefault = input.IsDefault == true,
        input.FullName,
        input.Line1,
        line2 = input.Line2 ?? "",
        input.City,
        region = input.Region ?? "",
        postalCode = input.PostalCode ?? "",
        input.Country,
        phone = input.Phone ?? "",
    };

    public sealed record Row(Guid Id, string Kind, bool IsDefault, string FullName, string Line1, string Line2, string City, string Region,
        string PostalCode, string Country, string Phone, int Version)
    {
        public Address ToContract() => new(Id, Kind, IsDefault, FullName, Line1, Line2, City, Region, PostalCode, Country.Trim(), Phone, Version);
    }
}

public sealed class AddressInputValidator : AbstractValidator<AddressInput>
{
    public AddressInputValidator()
    {
        RuleFor(a => a.Kind).NotEmpty().Must(k => k is "shipping" or "billing").WithMessage("Use 'shipping' or 'billing'.");
        RuleFor(a => a.FullName).NotEmpty().WithMessage("A name is required.").MaximumLength(200).PersonNameSafe();
        RuleFor(a => a.Line1).NotEmpty().WithMessage("The first address line is required.").MaximumLength(200).PersonNameSafe();
        RuleFor(a => a.Line2).MaximumLength(200).PersonNameSafe();
        RuleFor(a => a.City).NotEmpty().WithMessage("A city is required.").MaximumLength(100).PersonNameSafe();
        RuleFor(a => a.Region).MaximumLength(100).PersonNameSafe();
        RuleFor(a => a.PostalCode).MaximumLength(20).Matches("^[A-Za-z0-9 -]*$").WithMessage("Postal codes use letters, digits, spaces and hyphens.");
        RuleFor(a => a.Country).NotEmpty().Must(AddressRules.IsCountry).WithMessage("Use an ISO 3166 two-letter country code in capitals, like DE or US.");
        RuleFor(a => a.Phone).MaximumLength(30).Matches(@"^[0-9 +()./-]*$").WithMessage("A phone number uses digits, spaces and + ( ) . / -.");
    }
}

internal static class AddressRuleExtensions
{
    public static IRuleBuilderOptions<T, string?> PersonNameSafe<T>(this IRuleBuilderOptions<T, string?> rule) =>
        rule.Must(v => v is null || !v.Any(char.IsControl)).WithMessage("Control characters are not allowed.");
}
