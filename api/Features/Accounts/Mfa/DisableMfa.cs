using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Mfa;

public sealed class DisableMfa(UserManager<HeadlessUser> users, AccountsDb accounts)
    : Endpoint<DisableMfa.Request, Results<Ok<MfaStatus>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/account/mfa/disable");
        Group<PublicApi>();
        Policies(Platform.Security.Policies.SignedIn);
        Description(b => b.WithName("DisableMfa").WithTags("Account").ProducesProblem(StatusCodes.Status401Unauthorized));
        Summary(s => s.Summary = "Turn two-factor sign-in off and forget the app and recovery codes; needs the password again");
    }

    public sealed class Request : JsonBody<ReauthenticateRequest>;

    public sealed class Validator(IValidator<ReauthenticateRequest> rules) : JsonBodyValidator<Request, ReauthenticateRequest>(rules);

    public override async Task<Results<Ok<MfaStatus>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = (req.Body, HttpContext);
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
        if (user.TwoFactorEnabled || user.AuthenticatorKey is not null)
        {
            user.AuthenticatorKey = null;
            user.RecoveryCodeHashes = [];
            await users.SetTwoFactorEnabledAsync(user, false);
            await MfaChanges.NotifyAsync(log, user, "mfa.disabled", "mfa-disabled");
        }
        await accounts.CommitAsync(ct);
        return TypedResults.Ok(await MfaChanges.StatusAsync(users, user));
    }
}
