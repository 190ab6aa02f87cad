using System.Security.Cryptography;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Vaults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Headless.Api.Features.Accounts;

/// <summary>The first admin account: created on first start (password printed once, change forced),
/// and reset from the command line when the password is lost.</summary>
public static class AdminAccount
{
    /// <summary>True when <paramref name="userId"/> holds the only admin role left: removing it would lock the shop's staff out.</summary>
    public static Task<bool> IsLastAdminAsync(WriteLog log, Guid userId) =>
        Dapper.SqlMapper.ExecuteScalarAsync<bool>(log.Connection, """
            select exists (select 1 from user_roles where user_id = @userId and role = 'admin')
               and (select count(*) from user_roles r join users u on u.id = r.user_id where r.role = 'admin' and u.erased_at is null) = 1
            """, new { userId }, log.Transaction);

    public static string NewPassword() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(15)).Replace('+', 'x').Replace('/', 'y');

    /// <returns>The email and password of a newly created admin, or null when an admin already exists (or the vault that
    /// would hold the admin's address cannot be reached: the next start tries again).</returns>
    public static async Task<(string Email, string Password)?> EnsureAsync(IServiceProvider services, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<HeadlessUser>>();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountsDb>();
        var email = scope.ServiceProvider.GetRequiredService<IOptions<AccountsOptions>>().Value.AdminEmail;
        var log = await accounts.BeginAsync(Actor.System("bootstrap"), ct);
        await Dapper.SqlMapper.ExecuteAsync(log.Connection, "select pg_advisory_xact_lock(hashtext('headless.bootstrap-admin'))", transaction: log.Transaction);
        if (await Dapper.SqlMapper.ExecuteScalarAsync<bool>(log.Connection, """
                select exists (select 1 from user_roles r join users u on u.id = r.user_id where r.role = 'admin' and u.erased_at is null)
                """, transaction: log.Transaction))
        {
            return null;
        }
        var vaults = scope.ServiceProvider.GetRequiredService<VaultRegions>();
        try
        {
            // Start-up tasks run before VaultStartup, and the admin is found by email in (and kept in) the vaults this
            // API serves: migrate them first (idempotent, under each vault's migration lock).
            foreach (var region in vaults.Residency.Served)
            {
                await vaults[region].Database.MigrateAsync(ct);
            }
            var password = NewPassword();
            var admin = new HeadlessUser { Email = email, EmailConfirmed = true, MustChangePassword = true, FirstName = "Shop", LastName = "Admin" };
            var result = await users.CreateAsync(admin, password);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException("Could not create the first admin: " + string.Join(" ", result.Errors.Select(e => e.Description)));
            }
            await users.AddToRoleAsync(admin, AccountRoles.Admin);
            await users.AddToRoleAsync(admin, AccountRoles.Staff);
            await AccountAudit.RecordAsync(log, "user.admin-bootstrapped", admin.Id);
            await accounts.CommitAsync(ct);
            return (email, password);
        }
        catch (Exception e) when (e is VaultUnavailableException or Npgsql.NpgsqlException { IsTransient: true } or System.Net.Sockets.SocketException)
        {
            scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AdminAccount))
                .LogWarning("No first admin created: a personal-data vault cannot be reached; the next start tries again");
            return null;
        }
    }

    /// <summary>Sets a new random password (change forced), turns MFA off and signs the admin out everywhere.</summary>
    public static async Task<(string Email, string Password)> ResetAsync(IServiceProvider services, CancellationToken ct) =>
        await ResetAsync(services, null, ct)
        ?? throw new InvalidOperationException("No first admin account. Create one with ./build.sh create-admin --email=<address>.");

    /// <param name="email">The account; null for the configured first admin (`Headless:Accounts:AdminEmail`).</param>
    /// <returns>The email and new password, or null when there is no such account.</returns>
    public static async Task<(string Email, string Password)?> ResetAsync(IServiceProvider services, string? email, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<HeadlessUser>>();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountsDb>();
        var sessions = scope.ServiceProvider.GetRequiredService<Sessions>();
        email ??= scope.ServiceProvider.GetRequiredService<IOptions<AccountsOptions>>().Value.AdminEmail;
        var log = await accounts.BeginAsync(Actor.System("cli"), ct);
        if (await users.FindByEmailAsync(email) is not { } admin)
        {
            return null;
        }
        var password = NewPassword();
        admin.PasswordHash = users.PasswordHasher.HashPassword(admin, password);
        admin.MustChangePassword = true;
        admin.TwoFactorEnabled = false;
        admin.AuthenticatorKey = null;
        admin.RecoveryCodeHashes = [];
        admin.EmailConfirmed = true;
        await users.UpdateSecurityStampAsync(admin);
        await users.SetLockoutEndDateAsync(admin, null);
        await users.ResetAccessFailedCountAsync(admin);
        if (!await users.IsInRoleAsync(admin, AccountRoles.Admin))
        {
            await users.AddToRoleAsync(admin, AccountRoles.Admin);
        }
        await sessions.RevokeAllAsync(log.Connection, log.Transaction, admin.Id, "admin reset from the command line");
        await AccountAudit.RecordAsync(log, "user.admin-reset", admin.Id);
        await accounts.CommitAsync(ct);
        return (email, password);
    }
}
