using FastEndpoints;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Auth;

public sealed class Logout(Sessions sessions, AccountsDb accounts) : EndpointWithoutRequest<NoContent>
{
    public override void Configure()
    {
        Post("/auth/logout");
        Group<PublicApi>();
        Policies(Platform.Security.Policies.SignedIn);
        Description(b => b.WithName("Logout").WithTags("Auth").ProducesProblem(StatusCodes.Status401Unauthorized));
        Summary(s => s.Summary = "Sign this device out: its session, access token, refresh token and cookie stop working");
    }

    public override async Task<NoContent> ExecuteAsync(CancellationToken ct)
    {
        var http = HttpContext;
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
