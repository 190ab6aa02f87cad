using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Headless.Api.Features.Accounts.Mfa;

public static class StartAuthenticator
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/mfa/authenticator", Handle)
        .WithName("StartAuthenticator")
        .WithSummary("Start enrolling an authenticator app: returns a new secret and its otpauth:// URI (MFA stays off until verified)")
        .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<Results<Ok<AuthenticatorSetup>, ProblemHttpResult>> Handle(
        HttpContext http, UserManager<HeadlessUser> users, AccountsDb accounts, IOptions<AccountsOptions> options, CancellationToken ct)
    {
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
