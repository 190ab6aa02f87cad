using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Headless.Api.Platform.Security;

/// <summary>Authenticates `Authorization: Bearer hk_...` or `X-Api-Key: hk_...` against the hashed keys.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    NpgsqlDataSource db,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var secret = ReadKey(Request);
        if (secret is null)
        {
            return AuthenticateResult.NoResult();
        }
        var key = await ApiKeys.FindAsync(db, secret);
        if (key is null)
        {
            return AuthenticateResult.Fail("Unknown or revoked API key.");
        }
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, "api-key:" + key.Id),
            new(ClaimTypes.Name, key.Name),
        };
        claims.AddRange(key.Scopes.Select(scope => new Claim("scope", scope)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    private static string? ReadKey(HttpRequest request)
    {
        if (request.Headers.TryGetValue("X-Api-Key", out var header) && !string.IsNullOrWhiteSpace(header))
        {
            return header.ToString().Trim();
        }
        var auth = request.Headers.Authorization.ToString();
        return auth.StartsWith("Bearer " + ApiKeys.Prefix, StringComparison.Ordinal) ? auth["Bearer ".Length..].Trim() : null;
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        WriteProblem(401, "unauthenticated", "Authentication required",
            "Sign in (POST /api/v1/auth/login) and send the access token or cookie, or send an API key (`Authorization: Bearer hk_...` or X-Api-Key).");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblem(403, "forbidden", "Not allowed", "Your credentials do not grant access to this route.");

    private async Task WriteProblem(int status, string type, string title, string detail)
    {
        Response.StatusCode = status;
        if (status == 401)
        {
            Response.Headers.WWWAuthenticate = "Bearer";
        }
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail, Type = Problems.Problems.TypeBase + type },
        });
    }
}
