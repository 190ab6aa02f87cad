using System.Security.Cryptography;
using System.Text;
using Dapper;
using Headless.Api.Platform.Vaults;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Npgsql;

namespace Headless.Api.Features.Accounts.Identity;

/// <summary>
/// ASP.NET Core Identity's user store on PostgreSQL with Dapper. Identity does the hashing, TOTP and
/// tokens; this class only reads and writes rows. Lockout counters are updated atomically in SQL so
/// concurrent failed sign-ins all count.
/// The email and names are not in the users row but fields of the user's person in their region's vault
/// (<see cref="AccountFields"/>): a user is found by email through the vault's blind index (one indexed query per
/// served vault), then by person_id in core. Vault writes are not part of the core transaction: a rolled-back
/// registration can leave a person with only an email in the vault, the same as a guest who never came back.
/// </summary>
public sealed class UserStore(AccountsDb accounts, PersonalDataVault vault, IDataProtectionProvider protection) :
    IUserPasswordStore<HeadlessUser>,
    IUserEmailStore<HeadlessUser>,
    IUserSecurityStampStore<HeadlessUser>,
    IUserLockoutStore<HeadlessUser>,
    IUserTwoFactorStore<HeadlessUser>,
    IUserAuthenticatorKeyStore<HeadlessUser>,
    IUserTwoFactorRecoveryCodeStore<HeadlessUser>,
    IUserRoleStore<HeadlessUser>,
    IUserLoginStore<HeadlessUser>
{
    private const string Columns = """
        id, email_confirmed, password_hash, security_stamp, concurrency_stamp,
        two_factor_enabled, authenticator_key, recovery_code_hashes, lockout_end, lockout_enabled,
        access_failed_count, must_change_password, created_at, erased_at, person_id, person_region
        """;

    private readonly IDataProtector _totp = protection.CreateProtector("Headless.Totp");

    public void Dispose()
    {
    }

    private async Task<HeadlessUser?> FindAsync(string where, object args, CancellationToken ct)
    {
        HeadlessUser? user;
        await using (var lease = await accounts.LeaseAsync(ct))
        {
            user = await lease.Connection.QuerySingleOrDefaultAsync<HeadlessUser>(
                $"select {Columns} from users where {where}", args, lease.Transaction);
        }
        if (user?.Person is { } person)
        {
            Load(user, await vault.GetAsync(person, ct));
        }
        return user;
    }

    private static void Load(HeadlessUser user, IReadOnlyDictionary<string, string>? fields)
    {
        user.Email = fields.Get(AccountFields.Email) ?? (user.ErasedAt is null ? "" : AccountFields.ErasedEmail(user.Id));
        user.NormalizedEmail = user.Email.ToUpperInvariant();
        user.FirstName = fields.Get(AccountFields.FirstName);
        user.LastName = fields.Get(AccountFields.LastName);
        user.Stored = (user.Email, user.FirstName, user.LastName);
        user.StoredConfirmed = user.EmailConfirmed;
    }

    private async Task ExecuteAsync(string sql, object args, CancellationToken ct)
    {
        await using var lease = await accounts.LeaseAsync(ct);
        await lease.Connection.ExecuteAsync(sql, args, lease.Transaction);
    }

    // IUserStore

    public Task<string> GetUserIdAsync(HeadlessUser user, CancellationToken ct) => Task.FromResult(user.Id.ToString());
    public Task<string?> GetUserNameAsync(HeadlessUser user, CancellationToken ct) => Task.FromResult<string?>(user.Email);
    public Task SetUserNameAsync(HeadlessUser user, string? userName, CancellationToken ct)
    {
        user.Email = userName ?? "";
        return Task.CompletedTask;
    }
    public Task<string?> GetNormalizedUserNameAsync(HeadlessUser user, CancellationToken ct) => Task.FromResult<string?>(user.NormalizedEmail);
    public Task SetNormalizedUserNameAsync(HeadlessUser user, string? normalizedName, CancellationToken ct)
    {
        user.NormalizedEmail = normalizedName ?? "";
        return Task.CompletedTask;
    }

    /// <summary>Makes the user's person, in the region of <see cref="HeadlessUser.Country"/> or else this API's own, then
    /// the users row. An account whose email is confirmed (a provider vouched for it, an invitation, an admin) is the
    /// person who owns the address, a guest who ordered with it included. An unconfirmed one (a registration) gets a
    /// person of its own that only claims the address until it is confirmed (<see cref="UpdateAsync"/>), so neither
    /// its data nor its erasure ever touches a guest's.</summary>
    public async Task<IdentityResult> CreateAsync(HeadlessUser user, CancellationToken ct)
    {
        var email = user.Email.Trim();
        PersonRef person;
        try
        {
            person = user.Person ?? (user.EmailConfirmed
                ? user.Country is { } country
                    ? await vault.FindOrCreateByEmailAsync(email, country, ct)
                    : await vault.FindOrCreateByEmailInRegionAsync(email, vault.Region, ct)
                : await vault.CreateClaimantAsync(email, user.Country, ct));
        }
        catch (EmailClaimTakenException)
        {
            return IdentityResult.Failed(new IdentityErrorDescriber().DuplicateEmail(user.Email));
        }
        user.PersonId = person.Id;
        user.PersonRegion = person.Region;
        await using (var lease = await accounts.LeaseAsync(ct))
        {
            var taken = await lease.Connection.ExecuteScalarAsync<bool>(
                "select exists (select 1 from users where person_id = @PersonId)", new { user.PersonId }, lease.Transaction);
            if (taken)
            {
                return IdentityResult.Failed(new IdentityErrorDescriber().DuplicateEmail(user.Email));
            }
        }
        var fields = new Dictionary<string, string?>
        {
            [AccountFields.FirstName] = user.FirstName,
            [AccountFields.LastName] = user.LastName,
        };
        if (user.EmailConfirmed)
        {
            // The owner's email (and blind index); an unconfirmed account's email was written with its claim.
            fields[AccountFields.Email] = email;
        }
        await vault.PutAsync(person, fields, ct);
        user.Stored = (email, user.FirstName, user.LastName);
        user.StoredConfirmed = user.EmailConfirmed;
        await using var insert = await accounts.LeaseAsync(ct);
        var inserted = await insert.Connection.ExecuteAsync($"""
            insert into users ({Columns})
            values (@Id, @EmailConfirmed, @PasswordHash, @SecurityStamp, @ConcurrencyStamp,
                    @TwoFactorEnabled, @AuthenticatorKey, @RecoveryCodeHashes, @LockoutEnd, @LockoutEnabled,
                    @AccessFailedCount, @MustChangePassword, @CreatedAt, @ErasedAt, @PersonId, @PersonRegion)
            on conflict (person_id) where person_id is not null do nothing
            """, user, insert.Transaction);
        return inserted == 1
            ? IdentityResult.Success
            : IdentityResult.Failed(new IdentityErrorDescriber().DuplicateEmail(user.Email));
    }

    public async Task<IdentityResult> UpdateAsync(HeadlessUser user, CancellationToken ct)
    {
        if (user.EmailConfirmed && !user.StoredConfirmed && await OwnConfirmedEmailAsync(user, ct) is { Succeeded: false } refused)
        {
            return refused;
        }
        var expected = user.ConcurrencyStamp;
        user.ConcurrencyStamp = Guid.NewGuid().ToString("N");
        await using (var lease = await accounts.LeaseAsync(ct))
        {
            var updated = await lease.Connection.ExecuteAsync("""
                update users set
                    email_confirmed = @EmailConfirmed,
                    password_hash = @PasswordHash, security_stamp = @SecurityStamp, concurrency_stamp = @ConcurrencyStamp,
                    two_factor_enabled = @TwoFactorEnabled, authenticator_key = @AuthenticatorKey,
                    recovery_code_hashes = @RecoveryCodeHashes, lockout_enabled = @LockoutEnabled,
                    must_change_password = @MustChangePassword, updated_at = now()
                where id = @Id and concurrency_stamp = @expected
                """, new
            {
                user.EmailConfirmed,
                user.PasswordHash,
                user.SecurityStamp,
                user.ConcurrencyStamp,
                user.TwoFactorEnabled,
                user.AuthenticatorKey,
                user.RecoveryCodeHashes,
                user.LockoutEnabled,
                user.MustChangePassword,
                user.Id,
                expected,
            }, lease.Transaction);
            if (updated != 1)
            {
                return IdentityResult.Failed(new IdentityErrorDescriber().ConcurrencyFailure());
            }
        }
        return await WritePersonalFieldsAsync(user, ct);
    }

    /// <summary>The email was just confirmed: the account's claim on it becomes ownership. When a guest's person owns the
    /// address (they ordered with it), the account joins that person: its own fields and orders move there and its
    /// interim person is shredded, so the guest's orders are the account's from now on. An address another account owns
    /// (it took it while this one waited) is Identity's duplicate-email error.</summary>
    private async Task<IdentityResult> OwnConfirmedEmailAsync(HeadlessUser user, CancellationToken ct)
    {
        if (user.Person is not { } person || user.Email.Trim() is not { Length: > 0 } email)
        {
            return IdentityResult.Success;
        }
        if (await vault.ConfirmClaimAsync(person, email, ct) is not { } owner)
        {
            user.StoredConfirmed = true;
            return IdentityResult.Success;
        }
        await using (var lease = await accounts.LeaseAsync(ct))
        {
            if (await lease.Connection.ExecuteScalarAsync<bool>("select exists (select 1 from users where person_id = @Id)", new { owner.Id }, lease.Transaction))
            {
                return IdentityResult.Failed(new IdentityErrorDescriber().DuplicateEmail(user.Email));
            }
        }
        // Queued mail (mail.*) stays with the interim person: its outbox events name that person.
        var moving = ((await vault.GetAsync(person, ct)) ?? new Dictionary<string, string>())
            .Where(f => !f.Key.StartsWith("mail.", StringComparison.Ordinal))
            .ToDictionary(f => f.Key, f => (string?)f.Value, StringComparer.Ordinal);
        moving[AccountFields.Email] = email;
        await vault.PutAsync(owner, moving, ct);
        await using (var lease = await accounts.LeaseAsync(ct))
        {
            await lease.Connection.ExecuteAsync("""
                update users set person_id = @Id, person_region = @Region where id = @userId;
                update orders set person_id = @Id, person_region = @Region where person_id = @from;
                """, new { owner.Id, owner.Region, userId = user.Id, from = person.Id }, lease.Transaction);
        }
        user.PersonId = owner.Id;
        user.PersonRegion = owner.Region;
        user.StoredConfirmed = true;
        await vault.ShredAsync(person, ct);
        return IdentityResult.Success;
    }

    /// <summary>Writes the email (and with it the blind index) and names to the vault when they changed.</summary>
    private async Task<IdentityResult> WritePersonalFieldsAsync(HeadlessUser user, CancellationToken ct)
    {
        if (user.Person is not { } person)
        {
            return IdentityResult.Success;
        }
        var changed = new Dictionary<string, string?>();
        if (user.Email.Trim() != user.Stored.Email)
        {
            changed[AccountFields.Email] = user.Email.Trim();
        }
        if (user.FirstName != user.Stored.FirstName)
        {
            changed[AccountFields.FirstName] = user.FirstName;
        }
        if (user.LastName != user.Stored.LastName)
        {
            changed[AccountFields.LastName] = user.LastName;
        }
        if (changed.Count == 0)
        {
            return IdentityResult.Success;
        }
        try
        {
            await vault.PutAsync(person, changed, ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // Another person (an account, or a guest) already has this email.
            return IdentityResult.Failed(new IdentityErrorDescriber().DuplicateEmail(user.Email));
        }
        user.Stored = (user.Email.Trim(), user.FirstName, user.LastName);
        return IdentityResult.Success;
    }

    public async Task<IdentityResult> DeleteAsync(HeadlessUser user, CancellationToken ct)
    {
        await ExecuteAsync("delete from users where id = @Id", new { user.Id }, ct);
        if (user.Person is { } person)
        {
            await vault.ShredAsync(person, ct);
        }
        return IdentityResult.Success;
    }

    public Task<HeadlessUser?> FindByIdAsync(string userId, CancellationToken ct) =>
        Guid.TryParse(userId, out var id) ? FindAsync("id = @id and erased_at is null", new { id }, ct) : Task.FromResult<HeadlessUser?>(null);

    public Task<HeadlessUser?> FindByNameAsync(string normalizedUserName, CancellationToken ct) =>
        FindByEmailAsync(normalizedUserName, ct);

    // IUserEmailStore

    public Task SetEmailAsync(HeadlessUser user, string? email, CancellationToken ct)
    {
        user.Email = email ?? "";
        return Task.CompletedTask;
    }
    public Task<string?> GetEmailAsync(HeadlessUser user, CancellationToken ct) => Task.FromResult<string?>(user.Email);
    public Task<bool> GetEmailConfirmedAsync(HeadlessUser user, CancellationToken ct) => Task.FromResult(user.EmailConfirmed);
    public Task SetEmailConfirmedAsync(HeadlessUser user, bool confirmed, CancellationToken ct)
    {
        user.EmailConfirmed = confirmed;
        return Task.CompletedTask;
    }
    /// <summary>The blind index finds the person (one indexed query per served vault), then the users row by person_id; an
    /// account that has not confirmed its email yet is found through its claim on the address.</summary>
    public async Task<HeadlessUser?> FindByEmailAsync(string normalizedEmail, CancellationToken ct)
    {
        if (await vault.FindByEmailAsync(normalizedEmail, ct) is { } owner
            && await FindAsync("person_id = @Id and person_region = @Region and erased_at is null", new { owner.Id, owner.Region }, ct) is { } user)
        {
            return user;
        }
        return await vault.FindClaimByEmailAsync(normalizedEmail, ct) is { } claimant
            ? await FindAsync("person_id = @Id and person_region = @Region and erased_at is null", new { claimant.Id, claimant.Region }, ct)
            : null;
    }
    public Task<string?> GetNormalizedEmailAsync(HeadlessUser user, CancellationToken ct) => Task.FromResult<string?>(user.NormalizedEmail);
    public Task SetNormalizedEmailAsync(HeadlessUser user, string? normalizedEmail, CancellationToken ct)
    {
        user.NormalizedEmail = normalizedEmail ?? "";
        return Task.CompletedTask;
    }

    // IUserPasswordStore, IUserSecurityStampStore

    public Task SetPasswordHashAsync(HeadlessUser user, string? passwordHash, CancellationToken ct)
    {
        user.PasswordHash = passwordHash;
        return Task.CompletedTask;
    }
    public Task<string?> GetPasswordHashAsync(HeadlessUser user, CancellationToken ct) => Task.FromResult(user.PasswordHash);
    public Task<bool> HasPasswordAsync(HeadlessUser user, CancellationToken ct) => Task.FromResult(user.PasswordHash is not null);
    public Task SetSecurityStampAsync(HeadlessUser user, string stamp, CancellationToken ct)
    {
        user.SecurityStamp = stamp;
        return Task.CompletedTask;
    }
    public Task<string?> GetSecurityStampAsync(HeadlessUser user, CancellationToken ct) => Task.FromResult<string?>(user.SecurityStamp);

    // IUserLockoutStore: written at once and atomically, not on UpdateAsync.

    public Task<DateTimeOffset?> GetLockoutEndDateAsync(HeadlessUser user, CancellationToken ct) =>
        Task.FromResult(user.LockoutEnd is { } end ? new DateTimeOffset(DateTime.SpecifyKind(end, DateTimeKind.Utc)) : (DateTimeOffset?)null);
    public async Task SetLockoutEndDateAsync(HeadlessUser user, DateTimeOffset? lockoutEnd, CancellationToken ct)
    {
        user.LockoutEnd = lockoutEnd?.UtcDateTime;
        await ExecuteAsync("update users set lockout_end = @end where id = @Id", new { user.Id, end = user.LockoutEnd }, ct);
    }
    public async Task<int> IncrementAccessFailedCountAsync(HeadlessUser user, CancellationToken ct)
    {
        await using var lease = await accounts.LeaseAsync(ct);
        user.AccessFailedCount = await lease.Connection.ExecuteScalarAsync<int>(
            "update users set access_failed_count = access_failed_count + 1 where id = @Id returning access_failed_count", new { user.Id }, lease.Transaction);
        return user.AccessFailedCount;
    }
    public async Task ResetAccessFailedCountAsync(HeadlessUser user, CancellationToken ct)
    {
        user.AccessFailedCount = 0;
        await ExecuteAsync("update users set access_failed_count = 0 where id = @Id", new { user.Id }, ct);
    }
    public Task<int> GetAccessFailedCountAsync(HeadlessUser user, CancellationToken ct) => Task.FromResult(user.AccessFailedCount);
    public Task<bool> GetLockoutEnabledAsync(HeadlessUser user, CancellationToken ct) => Task.FromResult(user.LockoutEnabled);
    public Task SetLockoutEnabledAsync(HeadlessUser user, bool enabled, CancellationToken ct)
    {
        user.LockoutEnabled = enabled;
        return Task.CompletedTask;
    }

    // IUserTwoFactorStore, IUserAuthenticatorKeyStore: the TOTP secret is encrypted at rest.

    public Task SetTwoFactorEnabledAsync(HeadlessUser user, bool enabled, CancellationToken ct)
    {
        user.TwoFactorEnabled = enabled;
        return Task.CompletedTask;
    }
    public Task<bool> GetTwoFactorEnabledAsync(HeadlessUser user, CancellationToken ct) => Task.FromResult(user.TwoFactorEnabled);
    public Task SetAuthenticatorKeyAsync(HeadlessUser user, string key, CancellationToken ct)
    {
        user.AuthenticatorKey = _totp.Protect(key);
        return Task.CompletedTask;
    }
    public Task<string?> GetAuthenticatorKeyAsync(HeadlessUser user, CancellationToken ct) =>
        Task.FromResult(user.AuthenticatorKey is null ? null : _totp.Unprotect(user.AuthenticatorKey));

    // IUserTwoFactorRecoveryCodeStore: only hashes are kept; a code works once.

    private static string HashCode(string code) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(code.Trim().ToUpperInvariant())));

    public Task ReplaceCodesAsync(HeadlessUser user, IEnumerable<string> recoveryCodes, CancellationToken ct)
    {
        user.RecoveryCodeHashes = recoveryCodes.Select(HashCode).ToArray();
        return Task.CompletedTask;
    }
    public Task<bool> RedeemCodeAsync(HeadlessUser user, string code, CancellationToken ct)
    {
        var hash = HashCode(code);
        if (!user.RecoveryCodeHashes.Contains(hash))
        {
            return Task.FromResult(false);
        }
        user.RecoveryCodeHashes = user.RecoveryCodeHashes.Where(h => h != hash).ToArray();
        return Task.FromResult(true);
    }
    public Task<int> CountCodesAsync(HeadlessUser user, CancellationToken ct) => Task.FromResult(user.RecoveryCodeHashes.Length);

    // IUserRoleStore

    public Task AddToRoleAsync(HeadlessUser user, string roleName, CancellationToken ct) =>
        ExecuteAsync("insert into user_roles (user_id, role) values (@Id, @role) on conflict do nothing", new { user.Id, role = roleName.ToLowerInvariant() }, ct);
    public Task RemoveFromRoleAsync(HeadlessUser user, string roleName, CancellationToken ct) =>
        ExecuteAsync("delete from user_roles where user_id = @Id and role = @role", new { user.Id, role = roleName.ToLowerInvariant() }, ct);
    public async Task<IList<string>> GetRolesAsync(HeadlessUser user, CancellationToken ct)
    {
        await using var lease = await accounts.LeaseAsync(ct);
        return (await lease.Connection.QueryAsync<string>("select role from user_roles where user_id = @Id order by role", new { user.Id }, lease.Transaction)).ToList();
    }
    public async Task<bool> IsInRoleAsync(HeadlessUser user, string roleName, CancellationToken ct) =>
        (await GetRolesAsync(user, ct)).Contains(roleName.ToLowerInvariant());
    public async Task<IList<HeadlessUser>> GetUsersInRoleAsync(string roleName, CancellationToken ct)
    {
        List<HeadlessUser> found;
        await using (var lease = await accounts.LeaseAsync(ct))
        {
            found = (await lease.Connection.QueryAsync<HeadlessUser>($"""
                select {Columns} from users where erased_at is null and id in (select user_id from user_roles where role = @role)
                """, new { role = roleName.ToLowerInvariant() }, lease.Transaction)).ToList();
        }
        var fields = await vault.GetManyAsync(found.Select(u => u.Person).OfType<PersonRef>(), ct);
        foreach (var user in found)
        {
            Load(user, user.Person is { } p ? fields.GetValueOrDefault(p) : null);
        }
        return found;
    }

    // IUserLoginStore

    // A provider login already linked (a second completion of the same pending sign-in) stays as it is.
    public Task AddLoginAsync(HeadlessUser user, UserLoginInfo login, CancellationToken ct) =>
        ExecuteAsync("""
            insert into user_logins (provider, provider_key, display_name, user_id) values (@LoginProvider, @ProviderKey, @ProviderDisplayName, @Id)
            on conflict (provider, provider_key) do nothing
            """, new { login.LoginProvider, login.ProviderKey, login.ProviderDisplayName, user.Id }, ct);
    public Task RemoveLoginAsync(HeadlessUser user, string loginProvider, string providerKey, CancellationToken ct) =>
        ExecuteAsync("delete from user_logins where user_id = @Id and provider = @loginProvider and provider_key = @providerKey",
            new { user.Id, loginProvider, providerKey }, ct);
    public async Task<IList<UserLoginInfo>> GetLoginsAsync(HeadlessUser user, CancellationToken ct)
    {
        await using var lease = await accounts.LeaseAsync(ct);
        var rows = await lease.Connection.QueryAsync<(string Provider, string Key, string? Name)>(
            "select provider, provider_key, display_name from user_logins where user_id = @Id", new { user.Id }, lease.Transaction);
        return rows.Select(r => new UserLoginInfo(r.Provider, r.Key, r.Name)).ToList();
    }
    public Task<HeadlessUser?> FindByLoginAsync(string loginProvider, string providerKey, CancellationToken ct) =>
        FindAsync("erased_at is null and id = (select user_id from user_logins where provider = @loginProvider and provider_key = @providerKey)",
            new { loginProvider, providerKey }, ct);
}
