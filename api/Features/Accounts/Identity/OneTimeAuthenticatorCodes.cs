using Dapper;
using Microsoft.AspNetCore.Identity;
using OtpNet;

namespace Headless.Api.Features.Accounts.Identity;

/// <summary>
/// Authenticator-app codes (RFC 6238, 30-second steps) that work once. Identity's own provider only
/// answers "valid or not", so a code read over a shoulder or from a log could be replayed for as long as
/// it stays in the window. This one knows which time-step matched and claims it with one conditional
/// UPDATE of users.totp_last_step: a step not later than the last accepted one is refused, and of two
/// requests racing with the same code the second waits for the first's row lock, then finds the step
/// taken. The claim is written in the caller's unit of work (<see cref="AccountsDb"/>), so a sign-in
/// that fails later gives the step back.
/// </summary>
public sealed class OneTimeAuthenticatorCodes(AccountsDb accounts, TimeProvider clock) : IUserTwoFactorTokenProvider<HeadlessUser>
{
    /// <summary>One step either way for clocks that drift, as RFC 6238 section 5.2 recommends.</summary>
    private static readonly VerificationWindow Window = new(previous: 1, future: 1);

    public Task<string> GenerateAsync(string purpose, UserManager<HeadlessUser> manager, HeadlessUser user) => Task.FromResult("");

    public async Task<bool> CanGenerateTwoFactorTokenAsync(UserManager<HeadlessUser> manager, HeadlessUser user) =>
        !string.IsNullOrWhiteSpace(await manager.GetAuthenticatorKeyAsync(user));

    public async Task<bool> ValidateAsync(string purpose, string token, UserManager<HeadlessUser> manager, HeadlessUser user)
    {
        var key = await manager.GetAuthenticatorKeyAsync(user);
        if (string.IsNullOrWhiteSpace(key) || token.Length != 6 || !token.All(char.IsAsciiDigit))
        {
            return false;
        }
        var totp = new Totp(Base32Encoding.ToBytes(key));
        if (!totp.VerifyTotp(clock.GetUtcNow().UtcDateTime, token, out var step, Window))
        {
            return false;
        }
        await using var lease = await accounts.LeaseAsync(CancellationToken.None);
        var claimed = await lease.Connection.ExecuteAsync("""
            update users set totp_last_step = @step
            where id = @Id and (totp_last_step is null or totp_last_step < @step)
            """, new { user.Id, step }, lease.Transaction);
        return claimed == 1;
    }
}
