using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Headless.Api.Features.Accounts.Auth;

/// <summary>Sends the browser to the provider; see <see cref="ExternalLogin"/> for the whole flow.</summary>
public sealed class StartExternalLogin(IAuthenticationSchemeProvider schemes)
    : Endpoint<StartExternalLogin.Request, Results<ChallengeHttpResult, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/auth/external/{provider}");
        Group<PublicApi>();
        AllowAnonymous();
        Description(b => b.WithName("StartExternalLogin").WithTags("Auth")
            .Produces(StatusCodes.Status302Found)
            .ProducesProblem(StatusCodes.Status404NotFound));
        Summary(s => s.Summary = "Start signing in with google or facebook (a browser redirect); returns to returnUrl afterwards");
    }

    public sealed class Request
    {
        /// <summary>google or facebook</summary>
        [RouteParam]
        public string Provider { get; set; } = "";
        /// <summary>A path on this site to return to, like /account</summary>
        public string? ReturnUrl { get; set; }
    }

    public override async Task<Results<ChallengeHttpResult, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (provider, returnUrl) = (req.Provider, req.ReturnUrl);
        if (!AccountsSetup.OAuthProviders.Contains(provider) || await schemes.GetSchemeAsync(provider) is null)
        {
            return Platform.Problems.Problems.NotFound($"Signing in with '{provider}' is not set up on this shop.");
        }
        var complete = $"/api/v1/auth/external/{provider}/complete?returnUrl={Uri.EscapeDataString(ExternalLogin.SafeReturnUrl(returnUrl))}";
        return TypedResults.Challenge(new AuthenticationProperties { RedirectUri = complete }, [provider]);
    }
}
