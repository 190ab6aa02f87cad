using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Mfa;

public static class VerifyAuthenticator
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/mfa/authenticator/verify", Handle)
        .WithName("VerifyAuthenticator")
        .WithSummary("Turn two-factor sign-in on with a code from the enrolled app; returns recovery codes, shown only this once")
        .Validate<VerifyAuthenticatorRequest>()
        .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<Results<Ok<RecoveryCodes>, ProblemHttpResult>> Handle(
        VerifyAuthenticatorRequest request, HttpContext http, UserManager<HeadlessUser> users, AccountsDb accounts, CancellationToken ct)
    {
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
        var codes = (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, MfaChanges.RecoveryCodeCount))!.ToList();
        await MfaChanges.NotifyAsync(log, user, "mfa.enabled", "mfa-enabled");
        await accounts.CommitAsync(ct);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new RecoveryCodes(codes));
    }
}
