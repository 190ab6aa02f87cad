using System.Text.Json.Nodes;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Features.Email;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Profile;

public static class ChangePassword
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/password", Handle)
        .WithName("ChangePassword")
        .WithSummary("Change the password; every other device is signed out. Sign in again to pick up a cleared password-change requirement")
        .Validate<ChangePasswordRequest>();

    private static async Task<Results<Ok<Contracts.Accounts.Accepted>, ProblemHttpResult>> Handle(
        ChangePasswordRequest request, HttpContext http, UserManager<HeadlessUser> users, Sessions sessions, AccountsDb accounts, CancellationToken ct)
    {
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        var user = await CurrentUser.LoadAsync(http, users);
        if (user is null)
        {
            return CurrentUser.Gone();
        }
        var result = await users.ChangePasswordAsync(user, request.CurrentPassword!, request.NewPassword!);
        if (!result.Succeeded)
        {
            return result.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.PasswordMismatch))
                ? Platform.Problems.Problems.Validation("currentPassword", "The current password is wrong.")
                : Platform.Problems.Problems.Validation(AccountRules.PasswordErrors(result, "newPassword"));
        }
        user.MustChangePassword = false;
        await users.UpdateAsync(user);
        await sessions.RevokeAllAsync(log.Connection, log.Transaction, user.Id, "password changed", except: http.User.SessionId());
        await EmailQueue.EnqueueAsync(log, new EmailRequest("password-changed", user.Email, user.DisplayName,
            new JsonObject { ["name"] = user.DisplayName }, user.Id.ToString()));
        await AccountAudit.RecordAsync(log, "password.changed", user.Id);
        await accounts.CommitAsync(ct);
        return TypedResults.Ok(new Contracts.Accounts.Accepted("Your password is changed. Other devices are signed out."));
    }
}
