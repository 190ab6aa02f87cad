using System.Security.Claims;
using Headless.Api.Platform.Security;
using Microsoft.AspNetCore.Authorization;

namespace Headless.Api.Features.Accounts.Identity;

/// <summary>Staff routes: a user in one of <paramref name="Roles"/>, or an API key with one of <paramref name="Scopes"/>
/// (no scopes: no key at all). Every staff user must have signed in with a second factor, and nobody passes
/// with a forced password change pending.</summary>
public sealed record StaffAccess(string[] Roles, string[] Scopes) : IAuthorizationRequirement;

public sealed class StaffAccessHandler : AuthorizationHandler<StaffAccess>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, StaffAccess requirement)
    {
        var user = context.User;
        if (user.Identity?.AuthenticationType == ApiKeyAuthenticationHandler.SchemeName)
        {
            if (requirement.Scopes.Length == 0)
            {
                context.Fail(new AuthorizationFailureReason(this,
                    "API keys cannot do this: an admin signed in with two-factor authentication must create API keys and change roles."));
            }
            else if (requirement.Scopes.Any(s => user.HasClaim(AccountClaims.Scope, s)))
            {
                context.Succeed(requirement);
            }
            else
            {
                context.Fail(new AuthorizationFailureReason(this, "This API key's scopes do not cover this route."));
            }
            return Task.CompletedTask;
        }
        if (!requirement.Roles.Any(user.IsInRole))
        {
            context.Fail(new AuthorizationFailureReason(this, "Your account does not have a staff role that allows this route."));
        }
        else if (user.HasClaim(AccountClaims.MustChangePassword, "true"))
        {
            context.Fail(new AuthorizationFailureReason(this, "Change your password first: POST /api/v1/account/password."));
        }
        else if (!user.HasClaim(AccountClaims.AuthMethod, "mfa"))
        {
            // Staff of every role: a stolen staff password alone must not reach orders, refunds or the catalog.
            context.Fail(new AuthorizationFailureReason(this,
                "Staff must use two-factor authentication: turn it on (POST /api/v1/account/mfa/authenticator), then sign in again with a code."));
        }
        else
        {
            context.Succeed(requirement);
        }
        return Task.CompletedTask;
    }
}

public static class ClaimsPrincipalExtensions
{
    public static Guid? UserId(this ClaimsPrincipal user) =>
        user.Identity?.AuthenticationType != ApiKeyAuthenticationHandler.SchemeName
        && Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;

    public static Guid? SessionId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(AccountClaims.Session), out var id) ? id : null;
}
