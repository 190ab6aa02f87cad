using Headless.Api.Platform.Vaults;

namespace Headless.Api.Features.Accounts.Identity;

/// <summary>A person with an account: a customer, or staff. The email is the user name. Email and names are the
/// person's vault fields (<see cref="UserStore"/> reads and writes them there); the users row names the person only.</summary>
public sealed class HeadlessUser
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public string Email { get; set; } = "";
    public string NormalizedEmail { get; set; } = "";
    public bool EmailConfirmed { get; set; }
    public string? PasswordHash { get; set; }
    public string SecurityStamp { get; set; } = Guid.NewGuid().ToString("N");
    public string ConcurrencyStamp { get; set; } = Guid.NewGuid().ToString("N");
    public bool TwoFactorEnabled { get; set; }
    public string? AuthenticatorKey { get; set; }
    public string[] RecoveryCodeHashes { get; set; } = [];
    /// <summary>UTC; a DateTime because that is what Npgsql reads from timestamptz.</summary>
    public DateTime? LockoutEnd { get; set; }
    public bool LockoutEnabled { get; set; } = true;
    public int AccessFailedCount { get; set; }
    public string? FirstName { get; set; }
    public string? LastName { get; set; }
    public bool MustChangePassword { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime? ErasedAt { get; set; }
    public Guid? PersonId { get; set; }
    public string? PersonRegion { get; set; }

    /// <summary>Only when creating: the ISO country that decides the region of the new person's vault (null: this API's region).</summary>
    public string? Country { get; set; }

    public PersonRef? Person => PersonId is { } id && PersonRegion is { } region ? new PersonRef(id, region) : null;

    /// <summary>The vault fields as last read or written, so an update writes only what changed.</summary>
    internal (string Email, string? FirstName, string? LastName) Stored { get; set; }

    /// <summary>Whether the email was confirmed when the store read or created the user: confirming it now turns the
    /// person's claim on the address into ownership (<see cref="UserStore"/>).</summary>
    internal bool StoredConfirmed { get; set; }

    public string DisplayName => string.Join(' ', new[] { FirstName, LastName }.Where(n => !string.IsNullOrWhiteSpace(n))) is { Length: > 0 } name ? name : "there";
}

public static class AccountRoles
{
    public const string Customer = "customer";
    public const string Staff = "staff";
    public const string Admin = "admin";
    public static readonly string[] All = [Customer, Staff, Admin];
}

public static class AccountClaims
{
    /// <summary>The session a token or cookie belongs to (sessions.id).</summary>
    public const string Session = "sid";
    /// <summary>How the user proved who they are: "pwd", or "mfa" when a second factor was checked too.</summary>
    public const string AuthMethod = "amr";
    public const string MustChangePassword = "pwd_change";
    public const string Scope = "scope";
}
