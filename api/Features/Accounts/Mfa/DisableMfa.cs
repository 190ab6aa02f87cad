using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Mfa;

public static class DisableMfa
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/mfa/disable", Handle)
        .WithName("DisableMfa")
        .WithSummary("Turn two-factor sign-in off and forget the app and recovery codes; needs the password again")
        .Validate<ReauthenticateRequest>();

    private static async Task<Results<Ok<MfaStatus>, ProblemHttpResult>> Handle(
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
