using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Antiforgery;

namespace Headless.Api.Features.Accounts.Auth;

public sealed class GetCsrfToken(IAntiforgery antiforgery) : EndpointWithoutRequest<CsrfToken>
{
    public override void Configure()
    {
        Get("/auth/csrf");
        Group<PublicApi>();
        AllowAnonymous();
        Description(b => b.WithName("GetCsrfToken").WithTags("Auth"));
        Summary(s => s.Summary = "Get the anti-forgery token that cookie sessions send in X-CSRF-Token on every write; fetch it again after signing in");
    }

    public override Task<CsrfToken> ExecuteAsync(CancellationToken ct)
    {
        var http = HttpContext;
        var tokens = antiforgery.GetAndStoreTokens(http);
        http.Response.Headers.CacheControl = "no-store";
        return Task.FromResult(new CsrfToken(tokens.RequestToken!, AccountsSetup.CsrfHeader));
    }
}
