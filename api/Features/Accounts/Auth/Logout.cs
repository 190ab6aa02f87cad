using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Auth;

public static class Logout
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/logout", Handle)
        .WithName("Logout")
        .WithSummary("Sign this device out: its session, access token, refresh token and cookie stop working")
        .RequireAuthorization(Policies.SignedIn);

    private static async Task<NoContent> Handle(HttpContext http, Sessions sessions, AccountsDb accounts, CancellationToken ct)
    {
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        if (http.User.SessionId() is { } sessionId)
        {
            await sessions.RevokeAsync(log.Connection, log.Transaction, sessionId, "signed out");
        }
        await AccountAudit.RecordAsync(log, "auth.logout", http.User.UserId());
        await accounts.CommitAsync(ct);
        await http.SignOutAsync(IdentityConstants.ApplicationScheme);
        return TypedResults.NoContent();
    }
}
