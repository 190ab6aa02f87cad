using System.Text.Json.Nodes;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Features.Email;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Auth;

public sealed class ResetPassword(UserManager<HeadlessUser> users, Sessions sessions, AccountsDb accounts)
    : Endpoint<ResetPassword.Request, Results<Ok<Contracts.Accounts.Accepted>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/auth/reset-password");
        Group<PublicApi>();
        AllowAnonymous();
        Options(b => b.RequireRateLimiting(RateLimits.ForgotPassword));
        Description(b => b.WithName("ResetPassword").WithTags("Auth").ProducesProblem(StatusCodes.Status429TooManyRequests));
        Summary(s => s.Summary = "Set a new password with the code from the emailed link; signs the account out everywhere");
    }

    public sealed class Request : JsonBody<ResetPasswordRequest>;

    public sealed class Validator(IValidator<ResetPasswordRequest> rules) : JsonBodyValidator<Request, ResetPasswordRequest>(rules);

    public override async Task<Results<Ok<Contracts.Accounts.Accepted>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = (req.Body, HttpContext);
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
