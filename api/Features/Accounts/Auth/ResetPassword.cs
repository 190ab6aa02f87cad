using System.Text.Json.Nodes;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Features.Email;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Auth;

public static class ResetPassword
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/reset-password", Handle)
        .WithName("ResetPassword")
        .WithSummary("Set a new password with the code from the emailed link; signs the account out everywhere")
        .Validate<ResetPasswordRequest>()
        .RequireRateLimiting(RateLimits.ForgotPassword)
        .ProducesProblem(StatusCodes.Status429TooManyRequests);

    private static async Task<Results<Ok<Contracts.Accounts.Accepted>, ProblemHttpResult>> Handle(
        ResetPasswordRequest request, HttpContext http, UserManager<HeadlessUser> users, Sessions sessions, AccountsDb accounts, CancellationToken ct)
    {
        var invalid = Platform.Problems.Problems.Validation("code", "This link is invalid, expired or already used. Ask for a new one: POST /api/v1/auth/forgot-password.");
        var code = AccountRules.DecodeToken(request.Code);
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        var user = await users.FindByEmailAsync(request.Email!.Trim());
        if (user is null || code is null)
        {
            return invalid;
        }
        var result = await users.ResetPasswordAsync(user, code, request.NewPassword!);
        if (!result.Succeeded)
        {
            return result.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.InvalidToken))
                ? invalid
                : Platform.Problems.Problems.Validation(AccountRules.PasswordErrors(result, "newPassword"));
        }
        user.MustChangePassword = false;
        await users.UpdateAsync(user);
        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
        await sessions.RevokeAllAsync(log.Connection, log.Transaction, user.Id, "password reset");
        await EmailQueue.EnqueueAsync(log, new EmailRequest("password-changed", user.Email, user.DisplayName,
            new JsonObject { ["name"] = user.DisplayName }, user.Id.ToString()));
        await AccountAudit.RecordAsync(log, "password.reset", user.Id);
        await accounts.CommitAsync(ct);
        return TypedResults.Ok(new Contracts.Accounts.Accepted("Your password is changed and every device is signed out. Sign in with the new password."));
    }
}
