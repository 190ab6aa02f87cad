using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Antiforgery;

namespace Headless.Api.Features.Accounts.Auth;

public static class GetCsrfToken
{
    public static void Map(RouteGroupBuilder group) => group
        .MapGet("/csrf", Handle)
        .WithName("GetCsrfToken")
        .WithSummary("Get the anti-forgery token that cookie sessions send in X-CSRF-Token on every write; fetch it again after signing in");

    private static CsrfToken Handle(HttpContext http, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        http.Response.Headers.CacheControl = "no-store";
        return new CsrfToken(tokens.RequestToken!, AccountsSetup.CsrfHeader);
    }
}
