using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Http;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Accounts.Auth;

public static class Refresh
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/refresh", Handle)
        .WithName("RefreshToken")
        .WithSummary("Swap a refresh token for a new access token and a new refresh token; each refresh token works once")
        .Validate<RefreshRequest>()
        .ProducesProblem(StatusCodes.Status401Unauthorized);

    private static async Task<Results<Ok<AuthResponse>, ProblemHttpResult>> Handle(
        RefreshRequest request, UserManager<HeadlessUser> users, Sessions sessions, SignIns signIns)
    {
        var rotated = await sessions.RotateAsync(request.RefreshToken!);
        var user = rotated is { } r ? await users.FindByIdAsync(r.UserId.ToString()) : null;
        if (rotated is null || user is null)
        {
            return Make(StatusCodes.Status401Unauthorized, "refresh-failed", "Refresh token not accepted",
                "The refresh token is unknown, expired, already used or its session was signed out. Sign in again.");
        }
        return TypedResults.Ok(await signIns.RefreshAsync(user, rotated.Value.Session));
    }
}
