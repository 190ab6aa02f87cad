using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Accounts.Auth;

public sealed class Refresh(UserManager<HeadlessUser> users, Sessions sessions, SignIns signIns, AccountsDb accounts)
    : Endpoint<Refresh.Request, Results<Ok<AuthResponse>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/auth/refresh");
        Group<PublicApi>();
        AllowAnonymous();
        Description(b => b.WithName("RefreshToken").WithTags("Auth").ProducesProblem(StatusCodes.Status401Unauthorized));
        Summary(s =>
        {
            s.Summary = "Swap a refresh token for a new access token and a new refresh token; each refresh token works once";
            s.Description = "A session that began without a second factor on an account that has MFA on now (it was turned on since) is ended: "
                + "the answer is 401 mfa-required, and the way back is signing in again with a code.";
        });
    }

    public sealed class Request : JsonBody<RefreshRequest>;

    public sealed class Validator(IValidator<RefreshRequest> rules) : JsonBodyValidator<Request, RefreshRequest>(rules);

    public override async Task<Results<Ok<AuthResponse>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var request = req.Body;
        var rotated = await sessions.RotateAsync(request.RefreshToken!);
        var user = rotated is { } r ? await users.FindByIdAsync(r.UserId.ToString()) : null;
        if (rotated is null || user is null)
        {
            return Make(StatusCodes.Status401Unauthorized, "refresh-failed", "Refresh token not accepted",
                "The refresh token is unknown, expired, already used or its session was signed out. Sign in again.");
        }
        var session = rotated.Value.Session;
        if (user.TwoFactorEnabled && !session.SecondFactor)
        {
            // Refreshing must not turn a password-only session into a lasting one once the account wants more.
            var log = await accounts.BeginAsync(Actor.From(HttpContext), ct);
            await sessions.RevokeAsync(log.Connection, log.Transaction, session.Id, "second factor required");
            await AccountAudit.RecordAsync(log, "auth.refresh-needs-mfa", user.Id);
            await accounts.CommitAsync(ct);
            return SecondFactor.Required("This session began without a second factor. Sign in again (POST /api/v1/auth/login) with the code from your authenticator app.");
        }
        return TypedResults.Ok(await signIns.RefreshAsync(user, session));
    }
}
