using Dapper;
using Headless.Api.Platform.Vaults;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Headless.Tests.Accounts;

/// <summary>Accounts as the API finds them since issue 15: by the vault's blind index, then users.person_id.</summary>
public static class VaultPeople
{
    /// <summary>The account with this email: the one owning it, else (not confirmed yet) the one claiming it.</summary>
    public static async Task<Guid?> UserIdAsync(IServiceProvider services, NpgsqlDataSource db, string email)
    {
        var vault = services.GetRequiredService<PersonalDataVault>();
        await using var conn = await db.OpenConnectionAsync();
        foreach (var person in new[] { await vault.FindByEmailAsync(email), await vault.FindClaimByEmailAsync(email) })
        {
            if (person is not null
                && await conn.ExecuteScalarAsync<Guid?>("select id from users where person_id = @Id and person_region = @Region", new { person.Id, person.Region }) is { } id)
            {
                return id;
            }
        }
        return null;
    }

    /// <summary>A users row for a person made directly in the vault (a test's own account, without the API).</summary>
    public static async Task<Guid> InsertUserAsync(IServiceProvider services, NpgsqlConnection conn, string email, string? firstName, string country = "DE")
    {
        var vault = services.GetRequiredService<PersonalDataVault>();
        var person = await vault.FindOrCreateByEmailAsync(email, country);
        await vault.PutAsync(person, new Dictionary<string, string?> { ["first_name"] = firstName });
        var userId = Guid.CreateVersion7();
        await conn.ExecuteAsync("""
            insert into users (id, email_confirmed, security_stamp, concurrency_stamp, person_id, person_region)
            values (@userId, true, 'x', 'x', @Id, @Region)
            """, new { userId, person.Id, person.Region });
        return userId;
    }
}
