using System.ComponentModel;
using System.Security.Claims;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Outbox;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Auth;

/// <summary>
/// Social login (Google, Facebook) through ASP.NET Core's OAuth handler. The browser is sent to the
/// provider, comes back to the handler's callback, then here: a known login signs in; otherwise a
/// verified email that matches an account links to it; otherwise a new customer is created.
/// </summary>
public static class ExternalLogin
{
    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/external/{provider}", Start)
            .WithName("StartExternalLogin")
            .WithSummary("Start signing in with google or facebook (a browser redirect); returns to returnUrl afterwards")
            .Produces(StatusCodes.Status302Found)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/external/{provider}/complete", Complete)
            .WithName("CompleteExternalLogin")
            .WithSummary("Where the provider's callback lands: signs in, links or creates the account, then redirects to returnUrl")
            .Produces(StatusCodes.Status302Found)
            .ProducesProblem(StatusCodes.Status401Unauthorized);
    }

    private static async Task<Results<ChallengeHttpResult, ProblemHttpResult>> Start(
        [Description("google or facebook")] string provider, [Description("A path on this site to return to, like /account")] string? returnUrl,
        IAuthenticationSchemeProvider schemes)
    {
        if (!AccountsSetup.OAuthProviders.Contains(provider) || await schemes.GetSchemeAsync(provider) is null)
        {
            return Platform.Problems.Problems.NotFound($"Signing in with '{provider}' is not set up on this shop.");
        }
        var complete = $"/api/v1/auth/external/{provider}/complete?returnUrl={Uri.EscapeDataString(SafeReturnUrl(returnUrl))}";
        return TypedResults.Challenge(new AuthenticationProperties { RedirectUri = complete }, [provider]);
    }

    private static async Task<Results<RedirectHttpResult, ProblemHttpResult>> Complete(
        string provider, string? returnUrl, HttpContext http, UserManager<HeadlessUser> users, SignIns signIns, AccountsDb accounts, CancellationToken ct)
    {
        var external = await http.AuthenticateAsync(IdentityConstants.ExternalScheme);
        var principal = external.Principal;
        var key = principal?.FindFirstValue(ClaimTypes.NameIdentifier);
        if (!external.Succeeded || principal is null || key is null || principal.Identity?.AuthenticationType != provider)
        {
            return Platform.Problems.Problems.Make(StatusCodes.Status401Unauthorized, "external-login-failed", "Social sign-in did not complete",
                "The provider did not confirm who you are. Start again from the sign-in page.");
        }
        var email = principal.FindFirstValue(ClaimTypes.Email);
        var emailVerified = string.Equals(principal.FindFirstValue("email_verified"), "true", StringComparison.OrdinalIgnoreCase);
        var log = await accounts.BeginAsync(Actor.From(http), ct);

        var user = await users.FindByLoginAsync(provider, key);
        var action = "auth.external-login";
        if (user is null && email is not null && emailVerified)
        {
            user = await users.FindByEmailAsync(email);
            if (user is not null)
            {
                if (!user.EmailConfirmed)
                {
                    // The provider proved the address; whoever registered it without confirming cannot keep a password on it.
                    user.EmailConfirmed = true;
                    user.PasswordHash = null;
                    await users.UpdateSecurityStampAsync(user);
                }
                await users.AddLoginAsync(user, new UserLoginInfo(provider, key, provider));
                action = "auth.external-login-linked";
            }
        }
        if (user is null)
        {
            if (email is null || !emailVerified)
            {
                return Platform.Problems.Problems.Make(StatusCodes.Status401Unauthorized, "external-email-unverified", "Email not verified",
                    "Your account with the provider has no verified email address. Verify it there, or register with email and password.");
            }
            user = new HeadlessUser
            {
                Email = email,
                EmailConfirmed = true,
                FirstName = principal.FindFirstValue(ClaimTypes.GivenName),
                LastName = principal.FindFirstValue(ClaimTypes.Surname),
            };
            var created = await users.CreateAsync(user);
            if (!created.Succeeded)
            {
                return Platform.Problems.Problems.Conflict("An account with this email could not be created. Sign in with your password and link the provider from your account.");
            }
            await users.AddToRoleAsync(user, AccountRoles.Customer);
            await users.AddLoginAsync(user, new UserLoginInfo(provider, key, provider));
            action = "auth.external-register";
        }
        await signIns.SignInAsync(http, log, user, withSecondFactor: false, useCookies: true);
        await AccountAudit.RecordAsync(log, action, user.Id, new() { ["provider"] = provider });
        await accounts.CommitAsync(ct);
        await http.SignOutAsync(IdentityConstants.ExternalScheme);
        return TypedResults.Redirect(SafeReturnUrl(returnUrl));
    }

    /// <summary>Only paths on this site: an open redirect would let a phishing link borrow our domain.</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        returnUrl is { Length: > 0 and < 500 } && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal)
            && !returnUrl.StartsWith("/\\", StringComparison.Ordinal) && !returnUrl.Any(char.IsControl)
            ? returnUrl
            : "/account";
}
