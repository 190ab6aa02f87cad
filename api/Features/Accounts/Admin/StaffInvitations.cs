using System.Security.Cryptography;
using System.Text;
using Dapper;
using Headless.Contracts.Accounts;
using Npgsql;

namespace Headless.Api.Features.Accounts.Admin;

/// <summary>
/// Staff invitations: an admin names an email and roles; the invitee gets a one-time link valid for
/// <see cref="Lifetime"/> whose token is kept only as its SHA-256 (a database leak cannot accept one);
/// accepting it creates the account with those roles and a password. No admin route works for the new
/// account until it has turned on two-factor authentication (StaffAccess asks every staff session for
/// it), so the link alone never reaches shop data.
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
        i.id, i.email, i.roles, i.invited_by, i.created_at, i.expires_at, i.accepted_at, i.revoked_at,
        case when i.accepted_at is not null then 'accepted' when i.revoked_at is not null then 'revoked'
             when i.expires_at <= now() then 'expired' else 'pending' end as status
        """;

    public static Task<Row?> FindAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid id) =>
        conn.QuerySingleOrDefaultAsync<Row?>($"select {Columns} from staff_invitations i where i.id = @id", new { id }, tx);

    public sealed class Row
    {
        public Guid Id { get; init; }
        public string Email { get; init; } = "";
        public string[] Roles { get; init; } = [];
        public string InvitedBy { get; init; } = "";
        public DateTime CreatedAt { get; init; }
        public DateTime ExpiresAt { get; init; }
        public DateTime? AcceptedAt { get; init; }
        public DateTime? RevokedAt { get; init; }
        public string Status { get; init; } = "";

        public StaffInvitation ToContract() => new(Id, Email, Roles, Status, InvitedBy, Utc(CreatedAt), Utc(ExpiresAt),
            AcceptedAt is { } a ? Utc(a) : null, RevokedAt is { } r ? Utc(r) : null);
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
