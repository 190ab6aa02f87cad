using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Mfa;

/// <summary>Turns MFA on. Every other session of the account ends: they began without the second factor, and one
/// of them may be the intruder the user is locking out (the security stamp changes too, voiding pending sign-ins).</summary>
public sealed class VerifyAuthenticator(UserManager<HeadlessUser> users, AccountsDb accounts, Sessions sessions)
    : Endpoint<VerifyAuthenticator.Request, Results<Ok<RecoveryCodes>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/account/mfa/authenticator/verify");
        Group<PublicApi>();
        Policies(Platform.Security.Policies.SignedIn);
        Description(b => b.WithName("VerifyAuthenticator").WithTags("Account")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status409Conflict));
        Summary(s =>
        {
            s.Summary = "Turn two-factor sign-in on with a code from the enrolled app; returns recovery codes, shown only this once";
            s.Description = "Signs the account out of every other session (other devices, browsers and bearer tokens); the calling session stays.";
        });
    }

    public sealed class Request : JsonBody<VerifyAuthenticatorRequest>;

    public sealed class Validator(IValidator<VerifyAuthenticatorRequest> rules) : JsonBodyValidator<Request, VerifyAuthenticatorRequest>(rules);

    public override async Task<Results<Ok<RecoveryCodes>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = (req.Body, HttpContext);
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        var user = await CurrentUser.LoadAsync(http, users);
        if (user is null)
        {
            return CurrentUser.Gone();
        }
        if (user.AuthenticatorKey is null)
        {
            return Platform.Problems.Problems.Conflict("Start with POST /api/v1/account/mfa/authenticator to get a secret for your app.");
        }
        var code = request.Code!.Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
        if (!await users.VerifyTwoFactorTokenAsync(user, TokenOptions.DefaultAuthenticatorProvider, code))
        {
            return Platform.Problems.Problems.Validation("code", "The code is wrong or expired. Check the time on your device and use the current code.");
        }
        await users.SetTwoFactorEnabledAsync(user, true);
        await sessions.RevokeAllAsync(log.Connection, log.Transaction, user.Id, "mfa enabled", except: http.User.SessionId());
        var codes = (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, MfaChanges.RecoveryCodeCount))!.ToList();
        await MfaChanges.NotifyAsync(log, user, "mfa.enabled", "mfa-enabled");
        await accounts.CommitAsync(ct);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new RecoveryCodes(codes));
    }
}

public sealed class VerifyAuthenticatorRequestValidator : AbstractValidator<VerifyAuthenticatorRequest>
{
    public VerifyAuthenticatorRequestValidator() =>
        RuleFor(r => r.Code).NotEmpty().WithMessage("The 6-digit code from your authenticator app is required.").MaximumLength(12);
}
