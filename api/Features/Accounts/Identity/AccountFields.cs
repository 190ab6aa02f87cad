using Headless.Api.Platform.Vaults;

namespace Headless.Api.Features.Accounts.Identity;

/// <summary>
/// Where an account's personal data lives: fields of its person in the vault of their region (issue 15). The core
/// users row names the person (person_id, person_region) and holds nothing personal; these are the field names.
/// </summary>
public static class AccountFields
{
    public const string Email = PersonalDataVault.EmailField;
    public const string FirstName = "first_name";
    public const string LastName = "last_name";

    /// <summary>A saved address, as JSON (<see cref="Addresses.AddressRules"/>).</summary>
    public static string Address(Guid addressId) => AddressPrefix + addressId.ToString("N");
    public const string AddressPrefix = "address.";

    /// <summary>An order's contact fields, written by checkout: order.&lt;order id, N&gt;.&lt;name&gt;.</summary>
    public const string OrderPrefix = "order.";

    /// <summary>What lists and screens show for an erased account (computed; nothing personal is stored for it).</summary>
    public static string ErasedEmail(Guid userId) => $"erased-{userId}@erased.invalid";

    public static PersonRef? PersonOf(Guid? id, string? region) => id is { } i && region is { } r ? new PersonRef(i, r) : null;

    public static string? Get(this IReadOnlyDictionary<string, string>? fields, string name) =>
        fields is not null && fields.TryGetValue(name, out var value) ? value : null;

    /// <summary>The email, first and last name of a page of accounts, one vault query per region.</summary>
    public static async Task<IReadOnlyDictionary<PersonRef, IReadOnlyDictionary<string, string>>> ReadManyAsync(
        PersonalDataVault vault, IEnumerable<PersonRef?> people, CancellationToken ct) =>
        await vault.GetManyAsync(people.OfType<PersonRef>(), ct);
}
