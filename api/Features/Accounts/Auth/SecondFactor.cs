using System.Security.Claims;
using Headless.Api.Features.Accounts.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Accounts.Auth;

/// <summary>
/// The MFA step every way of signing in ends in when the account has MFA on. With a password the
/// caller sends the code along with it (<see cref="Login"/>); a social sign-in has no password to send
/// again, so it leaves a pending sign-in behind (a short-lived, encrypted, HttpOnly cookie naming the
/// user, and the provider login to link once the code is right) and the code goes to
/// <see cref="CompleteSecondFactor"/>. Both answer the same 401 mfa-required and check the code here.
/// </summary>
public static class SecondFactor
{
    public static readonly string PendingScheme = IdentityConstants.TwoFactorUserIdScheme;
    public const string LinkProviderClaim = "link_provider";
    public const string LinkKeyClaim = "link_key";
    public static readonly TimeSpan PendingLifetime = TimeSpan.FromMinutes(5);

    public static ProblemHttpResult Required(string how) =>
        Make(StatusCodes.Status401Unauthorized, "mfa-required", "Second factor required", how);

    public const string WithPassword =
        "Send the 6-digit code from your authenticator app as twoFactorCode, or one of your recovery codes as recoveryCode.";

    public const string WithoutPassword =
        "Send the 6-digit code from your authenticator app as twoFactorCode, or one of your recovery codes as recoveryCode, to POST /api/v1/auth/login/second-factor within 5 minutes.";

    public static ProblemHttpResult Failed() =>
        Make(StatusCodes.Status401Unauthorized, "mfa-failed", "Second factor not accepted",
            "The code is wrong, expired or already used. Codes change every 30 seconds and each works once; a recovery code works once.");

    /// <summary>An authenticator code (each accepted once, see <see cref="OneTimeAuthenticatorCodes"/>) or a recovery code (spent when used).</summary>
    public static async Task<bool> VerifyAsync(UserManager<HeadlessUser> users, HeadlessUser user, string? twoFactorCode, string? recoveryCode) =>
        !string.IsNullOrWhiteSpace(twoFactorCode)
            ? await users.VerifyTwoFactorTokenAsync(user, TokenOptions.DefaultAuthenticatorProvider, twoFactorCode.Replace(" ", "", StringComparison.Ordinal))
            : !string.IsNullOrWhiteSpace(recoveryCode) && (await users.RedeemTwoFactorRecoveryCodeAsync(user, recoveryCode)).Succeeded;

    /// <summary>Remembers who proved the first factor; the security stamp makes a password or MFA change void it.</summary>
    public static Task RememberPendingAsync(HttpContext http, HeadlessUser user, UserLoginInfo? linkAfterwards)
    {
        var identity = new ClaimsIdentity(PendingScheme);
        identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, user.Id.ToString()));
        identity.AddClaim(new Claim("stamp", user.SecurityStamp));
        if (linkAfterwards is not null)
        {
            identity.AddClaim(new Claim(LinkProviderClaim, linkAfterwards.LoginProvider));
            identity.AddClaim(new Claim(LinkKeyClaim, linkAfterwards.ProviderKey));
        }
        return http.SignInAsync(PendingScheme, new ClaimsPrincipal(identity), new AuthenticationProperties { IsPersistent = false });
    }
}
