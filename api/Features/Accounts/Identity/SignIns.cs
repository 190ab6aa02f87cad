using System.Security.Claims;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Headless.Api.Features.Accounts.Identity;

/// <summary>Opens a session for a user who proved who they are, as a cookie (browser widgets on our
/// origin) or as a 15-minute bearer token plus a rotating refresh token (SDK clients).</summary>
public sealed class SignIns(
    UserManager<HeadlessUser> users,
    IUserClaimsPrincipalFactory<HeadlessUser> claims,
    Sessions sessions,
    IOptionsMonitor<BearerTokenOptions> bearer,
    TimeProvider clock)
{
    public async Task<AuthResponse> SignInAsync(HttpContext http, WriteLog log, HeadlessUser user, bool withSecondFactor, bool useCookies)
    {
        // Fail closed: a new way of signing in that forgets the MFA step breaks loudly instead of opening a session.
        if (user.TwoFactorEnabled && !withSecondFactor)
        {
            throw new InvalidOperationException("An account with MFA on can only be signed in after its second factor (Auth/SecondFactor.cs).");
        }
        var session = await sessions.CreateAsync(log.Connection, log.Transaction, user.Id, useCookies ? "cookie" : "bearer", withSecondFactor);
        var principal = await PrincipalAsync(user, session.Id, withSecondFactor);
        var me = await MeAsync(user);
        if (useCookies)
        {
            await http.SignInAsync(IdentityConstants.ApplicationScheme, principal, new AuthenticationProperties { IsPersistent = true });
            return new AuthResponse(null, null, null, null, me);
        }
        var (token, expiresIn) = AccessToken(principal);
        return new AuthResponse("Bearer", token, expiresIn, session.RefreshToken, me);
    }

    /// <summary>A new access token for a live session, after its refresh token was rotated.</summary>
    public async Task<AuthResponse> RefreshAsync(HeadlessUser user, IssuedSession session)
    {
        var principal = await PrincipalAsync(user, session.Id, session.SecondFactor);
        var (token, expiresIn) = AccessToken(principal);
        return new AuthResponse("Bearer", token, expiresIn, session.RefreshToken, await MeAsync(user));
    }

    public async Task<Me> MeAsync(HeadlessUser user) => new(user.Id, user.Email, user.EmailConfirmed, user.FirstName, user.LastName,
        (await users.GetRolesAsync(user)).ToList(), user.TwoFactorEnabled, user.MustChangePassword);

    private async Task<ClaimsPrincipal> PrincipalAsync(HeadlessUser user, Guid sessionId, bool withSecondFactor)
    {
        var principal = await claims.CreateAsync(user);
        var identity = (ClaimsIdentity)principal.Identity!;
        identity.AddClaim(new Claim(AccountClaims.Session, sessionId.ToString()));
        identity.AddClaim(new Claim(AccountClaims.AuthMethod, withSecondFactor ? "mfa" : "pwd"));
        return principal;
    }

    private (string Token, long ExpiresIn) AccessToken(ClaimsPrincipal principal)
    {
        var options = bearer.Get(IdentityConstants.BearerScheme);
        var now = clock.GetUtcNow();
        var ticket = new AuthenticationTicket(principal, new AuthenticationProperties { IssuedUtc = now, ExpiresUtc = now + options.BearerTokenExpiration },
            IdentityConstants.BearerScheme);
        return (options.BearerTokenProtector.Protect(ticket), (long)options.BearerTokenExpiration.TotalSeconds);
    }
}
