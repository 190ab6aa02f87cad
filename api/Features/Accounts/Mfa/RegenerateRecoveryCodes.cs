using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Mfa;

public static class RegenerateRecoveryCodes
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/mfa/recovery-codes", Handle)
        .WithName("RegenerateRecoveryCodes")
        .WithSummary("Replace all recovery codes (the old ones stop working); needs the password again")
        .Validate<ReauthenticateRequest>()
        .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<Results<Ok<RecoveryCodes>, ProblemHttpResult>> Handle(
        ReauthenticateRequest request, HttpContext http, UserManager<HeadlessUser> users, AccountsDb accounts, CancellationToken ct)
    {
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
