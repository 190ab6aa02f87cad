using System.Text.Json.Nodes;
using Dapper;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Accounts;
using Npgsql;

namespace Headless.Api.Features.Accounts.Addresses;

/// <summary>
/// Saved addresses. Core keeps only what says nothing about the person (id, owner, kind, default flag, version); the
/// address itself is the owner's vault field address.&lt;id&gt;, a JSON object, read with the person's other fields in
/// one vault query. Writes put the vault field before the core transaction commits: a failed commit leaves a field no
/// core row points to (never shown), a failed vault write leaves nothing.
/// </summary>
public static class AddressRules
{
    public const int MaxPerUser = 20;

    public static bool IsCountry(string? code) => Headless.Api.Platform.Geography.Countries.IsCode(code);

    public const string Columns = "id, kind, is_default, version";

    public static async Task<List<Address>> ListAsync(NpgsqlConnection conn, PersonalDataVault vault, Guid userId, NpgsqlTransaction? tx = null, CancellationToken ct = default)
    {
        var rows = await RowsAsync(conn, userId, tx);
        if (rows.Count == 0)
        {
            return [];
        }
        var fields = await AccountPeople.PersonOfAsync(conn, userId, tx) is { } person ? await vault.GetAsync(person, ct) : null;
        return rows.Select(r => r.ToContract(fields)).ToList();
    }

    /// <param name="fields">The owner's vault fields, read already.</param>
    public static async Task<List<Address>> ListAsync(NpgsqlConnection conn, Guid userId, IReadOnlyDictionary<string, string>? fields, NpgsqlTransaction? tx = null) =>
        (await RowsAsync(conn, userId, tx)).Select(r => r.ToContract(fields)).ToList();

    private static async Task<List<Row>> RowsAsync(NpgsqlConnection conn, Guid userId, NpgsqlTransaction? tx) =>
        (await conn.QueryAsync<Row>($"select {Columns} from addresses where user_id = @userId order by kind, is_default desc, created_at",
            new { userId }, tx)).ToList();

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
    };

    /// <summary>Writes (or, with null, removes) the address in the owner's vault.</summary>
    public static async Task PutAsync(NpgsqlConnection conn, NpgsqlTransaction tx, PersonalDataVault vault, Guid userId, Guid id, AddressInput? input, CancellationToken ct)
    {
        var person = await AccountPeople.PersonOfAsync(conn, userId, tx) ?? throw new PersonNotFoundException();
        await vault.PutAsync(person, new Dictionary<string, string?> { [AccountFields.Address(id)] = input is null ? null : ToJson(input) }, ct);
    }

    private static string ToJson(AddressInput a) => new JsonObject
    {
        ["fullName"] = a.FullName,
        ["line1"] = a.Line1,
        ["line2"] = a.Line2 ?? "",
        ["city"] = a.City,
        ["region"] = a.Region ?? "",
        ["postalCode"] = a.PostalCode ?? "",
        ["country"] = a.Country,
        ["phone"] = a.Phone ?? "",
    }.ToJsonString();

    public sealed record Row(Guid Id, string Kind, bool IsDefault, int Version)
    {
        /// <summary>The address just written.</summary>
        public Address ToContract(AddressInput a) => new(Id, Kind, IsDefault, a.FullName!, a.Line1!, a.Line2 ?? "", a.City!, a.Region ?? "",
            a.PostalCode ?? "", a.Country!.Trim(), a.Phone ?? "", Version);

        /// <summary>The address with its vault fields; empty fields when the vault has none (the person was erased).</summary>
        public Address ToContract(IReadOnlyDictionary<string, string>? fields)
        {
            var json = fields.Get(AccountFields.Address(Id)) is { } text ? JsonNode.Parse(text) : null;
            string Text(string name) => json?[name]?.GetValue<string>() ?? "";
            return new(Id, Kind, IsDefault, Text("fullName"), Text("line1"), Text("line2"), Text("city"), Text("region"), Text("postalCode"),
                Text("country"), Text("phone"), Version);
        }
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
