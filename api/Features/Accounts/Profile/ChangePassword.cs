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

namespace Headless.Api.Features.Accounts.Profile;

public sealed class ChangePassword(UserManager<HeadlessUser> users, Sessions sessions, AccountsDb accounts)
    : Endpoint<ChangePassword.Request, Results<Ok<Contracts.Accounts.Accepted>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/account/password");
        Group<PublicApi>();
        Policies(Platform.Security.Policies.SignedIn);
        Description(b => b.WithName("ChangePassword").WithTags("Account").ProducesProblem(StatusCodes.Status401Unauthorized));
        Summary(s => s.Summary = "Change the password; every other device is signed out. Sign in again to pick up a cleared password-change requirement");
    }

    public sealed class Request : JsonBody<ChangePasswordRequest>;

    public sealed class Validator(IValidator<ChangePasswordRequest> rules) : JsonBodyValidator<Request, ChangePasswordRequest>(rules);

    public override async Task<Results<Ok<Contracts.Accounts.Accepted>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = (req.Body, HttpContext);
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
