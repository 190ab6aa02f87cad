using System.Security.Cryptography;
using System.Text;
using Dapper;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Accounts;
using Npgsql;

namespace Headless.Api.Features.Accounts.Admin;

/// <summary>
/// Staff invitations: an admin names an email and roles; the invitee gets a one-time link valid for
/// <see cref="Lifetime"/> whose token is kept only as its SHA-256 (a database leak cannot accept one);
/// accepting it creates the account with those roles and a password. No admin route works for the new
/// account until it has turned on two-factor authentication (StaffAccess asks every staff session for
/// it), so the link alone never reaches shop data.
/// The invitee is a person in the vault from the invitation on (issue 15): core keeps their person id, the address is
/// the person's email field, decrypted for the list a page at a time.
/// </summary>
public static class StaffInvitations
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(72);

    public static readonly string[] Roles = [Identity.AccountRoles.Staff, Identity.AccountRoles.Admin];

    /// <summary>Where the email's link points: the dashboard's acceptance page, public. The token rides in the fragment,
    /// which browsers never send to a server, so it stays out of access logs and Referer headers.</summary>
    public static string Link(string publicBaseUrl, string token) => $"{publicBaseUrl}/admin/accept-invitation#token={token}";

    public static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public const string Columns = """
        i.id, i.person_id, i.person_region, i.roles, i.invited_by, i.created_at, i.expires_at, i.accepted_at, i.revoked_at,
        case when i.accepted_at is not null then 'accepted' when i.revoked_at is not null then 'revoked'
             when i.expires_at <= now() then 'expired' else 'pending' end as status
        """;

    public static Task<Row?> FindAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid id) =>
        conn.QuerySingleOrDefaultAsync<Row?>($"select {Columns} from staff_invitations i where i.id = @id", new { id }, tx);

    public sealed class Row
    {
        public Guid Id { get; init; }
        public Guid? PersonId { get; init; }
        public string? PersonRegion { get; init; }
        public string[] Roles { get; init; } = [];
        public string InvitedBy { get; init; } = "";
        public DateTime CreatedAt { get; init; }
        public DateTime ExpiresAt { get; init; }
        public DateTime? AcceptedAt { get; init; }
        public DateTime? RevokedAt { get; init; }
        public string Status { get; init; } = "";

        public PersonRef? Person => Identity.AccountFields.PersonOf(PersonId, PersonRegion);

        /// <param name="email">The invitee's address from the vault ("" once that person was erased).</param>
        public StaffInvitation ToContract(string email) => new(Id, email, Roles, Status, InvitedBy, Utc(CreatedAt), Utc(ExpiresAt),
            AcceptedAt is { } a ? Utc(a) : null, RevokedAt is { } r ? Utc(r) : null);
    }

    /// <summary>The invitations with their addresses, decrypted with one vault query per region.</summary>
    public static async Task<List<StaffInvitation>> ToContractsAsync(PersonalDataVault vault, IReadOnlyList<Row> rows, CancellationToken ct)
    {
        var people = await vault.GetManyAsync(rows.Select(r => r.Person).OfType<PersonRef>(), ct);
        return rows.Select(r => r.ToContract((r.Person is { } p ? people.GetValueOrDefault(p) : null).Get(Identity.AccountFields.Email) ?? "")).ToList();
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
