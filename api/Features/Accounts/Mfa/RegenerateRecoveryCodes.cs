using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Mfa;

public sealed class RegenerateRecoveryCodes(UserManager<HeadlessUser> users, AccountsDb accounts)
    : Endpoint<RegenerateRecoveryCodes.Request, Results<Ok<RecoveryCodes>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/account/mfa/recovery-codes");
        Group<PublicApi>();
        Policies(Platform.Security.Policies.SignedIn);
        Description(b => b.WithName("RegenerateRecoveryCodes").WithTags("Account")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status409Conflict));
        Summary(s => s.Summary = "Replace all recovery codes (the old ones stop working); needs the password again");
    }

    public sealed class Request : JsonBody<ReauthenticateRequest>;

    public sealed class Validator(IValidator<ReauthenticateRequest> rules) : JsonBodyValidator<Request, ReauthenticateRequest>(rules);

    public override async Task<Results<Ok<RecoveryCodes>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
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
        if (!user.TwoFactorEnabled)
        {
            return Platform.Problems.Problems.Conflict("Two-factor sign-in is off; recovery codes come with turning it on.");
        }
        var codes = (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, MfaChanges.RecoveryCodeCount))!.ToList();
        await AccountAudit.RecordAsync(log, "mfa.recovery-codes-replaced", user.Id);
        await accounts.CommitAsync(ct);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new RecoveryCodes(codes));
    }
}
