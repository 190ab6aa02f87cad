using System.Security.Claims;
using FastEndpoints;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Auth;

/// <summary>Where the browser lands after the OAuth handler's callback; see <see cref="ExternalLogin"/> for the whole flow.</summary>
public sealed class CompleteExternalLogin(UserManager<HeadlessUser> users, SignIns signIns, AccountsDb accounts)
    : Endpoint<CompleteExternalLogin.Request, Results<RedirectHttpResult, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/auth/external/{provider}/complete");
        Group<PublicApi>();
        AllowAnonymous();
        Description(b => b.WithName("CompleteExternalLogin").WithTags("Auth")
            .Produces(StatusCodes.Status302Found)
            .ProducesProblem(StatusCodes.Status401Unauthorized));
        Summary(s =>
        {
            s.Summary = "Where the provider's callback lands: signs in, links or creates the account, then redirects to returnUrl";
            s.Description = "When the account has MFA on, nothing is signed in or linked yet: the browser is redirected to the storefront's code page "
                + $"({ExternalLogin.SecondFactorPage}?returnUrl=…), which sends the code to POST /api/v1/auth/login/second-factor "
                + "(the same browser, within 5 minutes). A provider account without a verified email is 401 external-email-unverified.";
            s.Responses[StatusCodes.Status302Found] = "Signed in: on to returnUrl. Or, with MFA on, on to the storefront's code page; nothing is signed in until the code is accepted.";
            s.Responses[StatusCodes.Status401Unauthorized] = "The provider did not confirm who the user is (external-login-failed), or its account has no verified email (external-email-unverified).";
        });
    }

    public sealed class Request
    {
        [RouteParam]
        public string Provider { get; set; } = "";
        public string? ReturnUrl { get; set; }
    }

    public override async Task<Results<RedirectHttpResult, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (provider, returnUrl, http) = (req.Provider, req.ReturnUrl, HttpContext);
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
            if (user is { TwoFactorEnabled: true })
            {
                // The provider vouches for the address, not for the account's second factor: link only after the code.
                return await WaitForSecondFactorAsync(http, log, user, provider, new UserLoginInfo(provider, key, provider), returnUrl, ct);
            }
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
            await log.EventAsync("customer.created", "customer", user.Id.ToString());
        }
        if (user.TwoFactorEnabled)
        {
            return await WaitForSecondFactorAsync(http, log, user, provider, null, returnUrl, ct);
        }
        await signIns.SignInAsync(http, log, user, withSecondFactor: false, useCookies: true);
        await AccountAudit.RecordAsync(log, action, user.Id, new() { ["provider"] = provider });
        await accounts.CommitAsync(ct);
        await http.SignOutAsync(IdentityConstants.ExternalScheme);
        return TypedResults.Redirect(ExternalLogin.SafeReturnUrl(returnUrl));
    }

    /// <summary>This is a browser navigation, so the answer is a page: the storefront's code page, which finishes through
    /// POST /auth/login/second-factor and then goes on to <paramref name="returnUrl"/>.</summary>
    private async Task<RedirectHttpResult> WaitForSecondFactorAsync(HttpContext http, WriteLog log, HeadlessUser user, string provider, UserLoginInfo? link, string? returnUrl, CancellationToken ct)
    {
        await SecondFactor.RememberPendingAsync(http, user, link);
        await AccountAudit.RecordAsync(log, "auth.external-login-mfa-pending", user.Id, new() { ["provider"] = provider });
        await accounts.CommitAsync(ct);
        await http.SignOutAsync(IdentityConstants.ExternalScheme);
        return TypedResults.Redirect($"{ExternalLogin.SecondFactorPage}?returnUrl={Uri.EscapeDataString(ExternalLogin.SafeReturnUrl(returnUrl))}");
    }
}
