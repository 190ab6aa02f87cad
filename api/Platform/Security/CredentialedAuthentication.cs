namespace Headless.Api.Platform.Security;

/// <summary>
/// Runs ASP.NET Core's authentication middleware only for requests that could authenticate. A request with no
/// Authorization or X-Api-Key header and no cookie can only ever be anonymous, yet authenticating it still
/// resolves the forwarding scheme and a cookie handler and allocates their results (about a quarter of all
/// allocations of a cached catalog GET). The external sign-in callbacks always go through, so their handlers
/// still answer a callback that lost its correlation cookie.
/// </summary>
public static class CredentialedAuthentication
{
    private const string ExternalSignInPaths = "/api/v1/auth/external";

    // UseAuthentication() sets this flag on the builder it is called on; WebApplication adds the middleware to
    // the whole pipeline itself unless the flag is set on the app, and here it is called on a branch.
    private const string AuthenticationMiddlewareSet = "__AuthenticationMiddlewareSet";

    public static IApplicationBuilder UseAuthenticationForCredentialedRequests(this IApplicationBuilder app)
    {
        app.UseWhen(MayCarryCredentials, branch => branch.UseAuthentication());
        app.Properties[AuthenticationMiddlewareSet] = true;
        return app;
    }

    public static bool MayCarryCredentials(HttpContext http)
    {
        var headers = http.Request.Headers;
        return headers.ContainsKey("Authorization")
            || headers.ContainsKey("X-Api-Key")
            || headers.ContainsKey("Cookie")
            || http.Request.Path.StartsWithSegments(ExternalSignInPaths, StringComparison.OrdinalIgnoreCase);
    }
}
