using Headless.Api.Features.Accounts;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Outbox;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Platform.Cli;

/// <summary>
/// `create-admin --email=...`: how an operator makes the first admin outside Development, where the API
/// never creates or prints one. The password is random, printed once, and must be changed at the first
/// sign-in; admin routes stay closed until the admin has enrolled an authenticator app.
/// </summary>
public static class CreateAdmin
{
    public static OperatorCommand Command { get; } = new(
        "create-admin", "create-admin --email=<address>",
        "create an admin account; prints a one-time password (change and MFA enrolment forced)", ["email"], RunAsync);

    private static async Task<int> RunAsync(IServiceProvider services, CommandLine line, TextWriter output, TextWriter errors, CancellationToken ct)
    {
        var email = line["email"]?.Trim();
        if (string.IsNullOrEmpty(email) || !System.Net.Mail.MailAddress.TryCreate(email, out var parsed) || parsed.Address != email)
        {
            errors.WriteLine($"Give the new admin's email address: {Command.Usage}");
            return OperatorCommands.Usage;
        }
        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<HeadlessUser>>();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountsDb>();
        var log = await accounts.BeginAsync(Actor.System("cli"), ct);
        if (await users.FindByEmailAsync(email) is not null)
        {
            errors.WriteLine($"An account {email} already exists; nothing was changed. To give it a new one-time password (and make it an admin), run: ./build.sh reset-admin --email={email}");
            return OperatorCommands.Refused;
        }
        var password = AdminAccount.NewPassword();
        var admin = new HeadlessUser { Email = email, EmailConfirmed = true, MustChangePassword = true, FirstName = "Shop", LastName = "Admin" };
        var created = await users.CreateAsync(admin, password);
        if (!created.Succeeded)
        {
            errors.WriteLine($"Could not create {email}: {string.Join(" ", created.Errors.Select(e => e.Description))}");
            return OperatorCommands.Refused;
        }
        await users.AddToRoleAsync(admin, AccountRoles.Admin);
        await users.AddToRoleAsync(admin, AccountRoles.Staff);
        await AccountAudit.RecordAsync(log, "user.admin-created", admin.Id);
        await accounts.CommitAsync(ct);
        output.WriteLine($"Admin {email} created. Sign in with this one-time password (shown once); you must change it, then enrol an authenticator app (POST /api/v1/account/mfa/authenticator) before admin routes open:");
        output.WriteLine(password);
        return OperatorCommands.Done;
    }
}
