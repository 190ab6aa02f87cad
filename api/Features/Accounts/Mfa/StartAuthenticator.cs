using FastEndpoints;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Headless.Api.Features.Accounts.Mfa;

public sealed class StartAuthenticator(UserManager<HeadlessUser> users, AccountsDb accounts, IOptions<AccountsOptions> options)
    : EndpointWithoutRequest<Results<Ok<AuthenticatorSetup>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/account/mfa/authenticator");
        Group<PublicApi>();
        Policies(Platform.Security.Policies.SignedIn);
        Description(b => b.WithName("StartAuthenticator").WithTags("Account")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status409Conflict));
        Summary(s => s.Summary = "Start enrolling an authenticator app: returns a new secret and its otpauth:// URI (MFA stays off until verified)");
    }

    public override async Task<Results<Ok<AuthenticatorSetup>, ProblemHttpResult>> ExecuteAsync(CancellationToken ct)
    {
        var http = HttpContext;
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        var user = await CurrentUser.LoadAsync(http, users);
        if (user is null)
        {
            return CurrentUser.Gone();
        }
        if (user.TwoFactorEnabled)
        {
            return Platform.Problems.Problems.Conflict("Two-factor sign-in is already on. Disable it first (POST /api/v1/account/mfa/disable) to enrol a new app.");
        }
        await users.ResetAuthenticatorKeyAsync(user);
        var key = (await users.GetAuthenticatorKeyAsync(user))!;
        await AccountAudit.RecordAsync(log, "mfa.enrolment-started", user.Id);
        await accounts.CommitAsync(ct);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new AuthenticatorSetup(key, MfaChanges.OtpauthUri(options.Value.Issuer, user.Email, key)));
    }
}
