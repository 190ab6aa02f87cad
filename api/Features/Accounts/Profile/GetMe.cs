using Headless.Api.Features.Accounts.Identity;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Profile;

public static class GetMe
{
    public static void Map(RouteGroupBuilder group) => group
        .MapGet("", Handle)
        .WithName("GetMe")
        .WithSummary("The signed-in user: profile, roles, MFA state");

    private static async Task<Results<Ok<Me>, ProblemHttpResult>> Handle(HttpContext http, UserManager<HeadlessUser> users, SignIns signIns)
    {
        var user = await CurrentUser.LoadAsync(http, users);
        if (user is null)
        {
            return CurrentUser.Gone();
        }
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(await signIns.MeAsync(user));
    }
}
