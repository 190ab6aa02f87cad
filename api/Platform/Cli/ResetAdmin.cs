using Headless.Api.Features.Accounts;

namespace Headless.Api.Platform.Cli;

/// <summary>`reset-admin [--email=...]`: a lost admin password. New one-time password, MFA off, signed out everywhere.</summary>
public static class ResetAdmin
{
    public static OperatorCommand Command { get; } = new(
        "reset-admin", "reset-admin [--email=<address>]",
        "new one-time password for an admin (default: Headless__Accounts__AdminEmail), MFA off, sessions revoked", ["email"], RunAsync);

    private static async Task<int> RunAsync(IServiceProvider services, CommandLine line, TextWriter output, TextWriter errors, CancellationToken ct)
    {
        var reset = await AdminAccount.ResetAsync(services, line["email"]?.Trim(), ct);
        if (reset is not var (email, password))
        {
            errors.WriteLine($"No account {line["email"] ?? "with the configured admin email"}. Create one with: ./build.sh create-admin --email=<address>");
            return OperatorCommands.Refused;
        }
        output.WriteLine($"Admin {email}: new password (shown once, change forced at first sign-in; MFA is off until you enrol again):");
        output.WriteLine(password);
        return OperatorCommands.Done;
    }
}
