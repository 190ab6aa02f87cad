using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Mvc;

namespace Headless.Api.Platform.Security;

/// <summary>Answers 401/403 with a problem document that says what to do, including why a staff check failed.</summary>
public sealed class ProblemAuthorizationResultHandler(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext http, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        if (result.Succeeded)
        {
            await _default.HandleAsync(next, http, policy, result);
            return;
        }
        var signedIn = http.User.Identity?.IsAuthenticated == true;
        var status = signedIn ? StatusCodes.Status403Forbidden : StatusCodes.Status401Unauthorized;
        var reasons = result.AuthorizationFailure?.FailureReasons.Select(r => r.Message).ToList() ?? [];
        http.Response.StatusCode = status;
        if (status == 401)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
        }
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails
            {
                Status = status,
                Title = signedIn ? "Not allowed" : "Authentication required",
                Type = Problems.Problems.TypeBase + (signedIn ? "forbidden" : "unauthenticated"),
                Detail = signedIn
                    ? (reasons.Count > 0 ? string.Join(" ", reasons) : "Your credentials do not grant access to this route.")
                    : "Sign in (POST /api/v1/auth/login) and send the access token or cookie, or send an API key (`Authorization: Bearer hk_...`).",
            },
        });
    }
}
