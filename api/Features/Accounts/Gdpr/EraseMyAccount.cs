using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Gdpr;

public static class EraseMyAccount
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/erase", Handle)
        .WithName("EraseMyAccount")
        .WithSummary("Erase your account and personal data for good (needs the password again); orders keep only what tax law requires")
        .Validate<ReauthenticateRequest>()
        .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<Results<Ok<Erasure>, ProblemHttpResult>> Handle(
        ReauthenticateRequest request, HttpContext http, UserManager<HeadlessUser> users, Sessions sessions, AccountsDb accounts, CancellationToken ct)
    {
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        var user = await CurrentUser.LoadAsync(http, users);
        if (user is null)
        {
            return CurrentUser.Gone();
        }
        if (!await CurrentUser.ReauthenticateAsync(users, user, request.Password!))
        {
            await accounts.CommitAsync(ct);
            return CurrentUser.WrongPassword();
        }
        if (await AdminAccount.IsLastAdminAsync(log, user.Id))
        {
            return Platform.Problems.Problems.Conflict("This is the last admin account. Make someone else admin before erasing it.");
        }
        var erasedAt = await PersonalData.EraseAsync(log, sessions, user.Id);
        await accounts.CommitAsync(ct);
        await http.SignOutAsync(IdentityConstants.ApplicationScheme);
        return TypedResults.Ok(new Erasure(user.Id, erasedAt!.Value));
    }
}
