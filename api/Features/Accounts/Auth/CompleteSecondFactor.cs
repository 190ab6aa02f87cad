using System.Security.Claims;
using System.Text.Json.Nodes;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Accounts.Auth;

/// <summary>Finishes a sign-in that is waiting for its second factor; see <see cref="SecondFactor"/>.</summary>
public sealed class CompleteSecondFactor(UserManager<HeadlessUser> users, SignIns signIns, AccountsDb accounts)
    : Endpoint<CompleteSecondFactor.Request, Results<Ok<AuthResponse>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/auth/login/second-factor");
        Group<PublicApi>();
        AllowAnonymous();
        Options(b => b.RequireRateLimiting(RateLimits.Login));
        Description(b => b.WithName("CompleteSecondFactor").WithTags("Auth")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests));
        Summary(s =>
        {
            s.Summary = "Finish a social sign-in that answered 401 mfa-required, with an authenticator code or a recovery code";
            s.Description = "Reads the pending sign-in the same browser got from GET /api/v1/auth/external/{provider}/complete (it lasts 5 minutes). "
                + "A wrong, expired or already used code is 401 mfa-failed and counts towards the account's lockout; "
                + "no pending sign-in, or one made void by a password or MFA change since, is 401 mfa-not-pending. "
                + "On success the provider login is linked if it was new, and a session opens (a cookie with useCookies, bearer tokens otherwise).";
        });
    }

    public sealed class Request : JsonBody<SecondFactorRequest>;

    public sealed class Validator(IValidator<SecondFactorRequest> rules) : JsonBodyValidator<Request, SecondFactorRequest>(rules);

    public override async Task<Results<Ok<AuthResponse>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = (req.Body, HttpContext);
        var pending = (await http.AuthenticateAsync(SecondFactor.PendingScheme)).Principal;
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        var user = pending?.FindFirstValue(ClaimTypes.NameIdentifier) is { } id ? await users.FindByIdAsync(id) : null;
        if (pending is null || user is null || !user.TwoFactorEnabled || pending.FindFirstValue("stamp") != user.SecurityStamp)
        {
            return Make(StatusCodes.Status401Unauthorized, "mfa-not-pending", "No sign-in is waiting for a second factor",
                "Start signing in again: the pending sign-in expired, was finished, or the account's password or two-factor settings changed since.");
        }
        if (await users.IsLockedOutAsync(user))
        {
            await AccountAudit.RecordAsync(log, "auth.locked-out", user.Id);
            await accounts.CommitAsync(ct);
            return Make(StatusCodes.Status401Unauthorized, "login-failed", "Sign-in failed",
                "The account is locked for a while after too many failed attempts. Try again later.");
        }
        if (!await SecondFactor.VerifyAsync(users, user, request.TwoFactorCode, request.RecoveryCode))
        {
            await users.AccessFailedAsync(user);
            await AccountAudit.RecordAsync(log, "auth.mfa-failed", user.Id);
            await accounts.CommitAsync(ct);
            return SecondFactor.Failed();
        }
        await users.ResetAccessFailedCountAsync(user);
        var action = "auth.external-login";
        if (pending.FindFirstValue(SecondFactor.LinkProviderClaim) is { } provider && pending.FindFirstValue(SecondFactor.LinkKeyClaim) is { } key)
        {
            await users.AddLoginAsync(user, new UserLoginInfo(provider, key, provider));
            action = "auth.external-login-linked";
        }
        var response = await signIns.SignInAsync(http, log, user, withSecondFactor: true, request.UseCookies == true);
        await AccountAudit.RecordAsync(log, action, user.Id, new JsonObject
        {
            ["method"] = string.IsNullOrWhiteSpace(request.TwoFactorCode) ? "provider+recovery-code" : "provider+totp",
            ["kind"] = request.UseCookies == true ? "cookie" : "bearer",
        });
        await accounts.CommitAsync(ct);
        await http.SignOutAsync(SecondFactor.PendingScheme);
        return TypedResults.Ok(response);
    }
}
