using Dapper;
using Headless.Api.Platform.Vaults;
using Npgsql;

namespace Headless.Api.Features.Accounts.Identity;

/// <summary>The person a users row names (null for an account from before issue 15 not yet moved, or none such).</summary>
public static class AccountPeople
{
    public static async Task<PersonRef?> PersonOfAsync(NpgsqlConnection conn, Guid userId, NpgsqlTransaction? tx = null)
    {
        var row = await conn.QuerySingleOrDefaultAsync<(Guid? Id, string? Region)>(
            "select person_id, person_region from users where id = @userId", new { userId }, tx);
        return AccountFields.PersonOf(row.Id, row.Region);
    }

    /// <summary>The account's email from its person's vault; null when unknown or erased.</summary>
    public static async Task<string?> EmailOfAsync(NpgsqlConnection conn, PersonalDataVault vault, Guid userId, NpgsqlTransaction? tx = null, CancellationToken ct = default) =>
        await PersonOfAsync(conn, tx: tx, userId: userId) is { } person ? (await vault.GetAsync(person, ct)).Get(AccountFields.Email) : null;

    /// <summary>The vault fields of several accounts (one vault query per region), by account id; erased or unknown
    /// accounts are absent.</summary>
    public static async Task<IReadOnlyDictionary<Guid, IReadOnlyDictionary<string, string>>> FieldsOfAsync(
        NpgsqlConnection conn, PersonalDataVault vault, IReadOnlyCollection<Guid> userIds, NpgsqlTransaction? tx = null, CancellationToken ct = default)
    {
        if (userIds.Count == 0)
        {
            return new Dictionary<Guid, IReadOnlyDictionary<string, string>>();
        }
        var rows = (await conn.QueryAsync<(Guid Id, Guid PersonId, string PersonRegion)>(
            "select id, person_id, person_region from users where id = any(@ids) and person_id is not null and erased_at is null",
            new { ids = userIds.ToArray() }, tx)).ToList();
        var people = await vault.GetManyAsync(rows.Select(r => new PersonRef(r.PersonId, r.PersonRegion)), ct);
        var answer = new Dictionary<Guid, IReadOnlyDictionary<string, string>>();
        foreach (var row in rows)
        {
            if (people.TryGetValue(new PersonRef(row.PersonId, row.PersonRegion), out var fields))
            {
                answer[row.Id] = fields;
            }
        }
        return answer;
    }
}
