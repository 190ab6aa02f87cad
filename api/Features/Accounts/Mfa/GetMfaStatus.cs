using Headless.Api.Features.Accounts.Identity;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Mfa;

public static class GetMfaStatus
{
    public static void Map(RouteGroupBuilder group) => group
        .MapGet("/mfa", Handle)
        .WithName("GetMfaStatus")
        .WithSummary("Whether two-factor sign-in is on and how many recovery codes are left");

    private static async Task<Results<Ok<MfaStatus>, ProblemHttpResult>> Handle(HttpContext http, UserManager<HeadlessUser> users)
    {
        var user = await CurrentUser.LoadAsync(http, users);
        return user is null ? CurrentUser.Gone() : TypedResults.Ok(await MfaChanges.StatusAsync(users, user));
    }
}
