using System.Text.Json.Nodes;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Features.Email;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Headless.Api.Features.Accounts.Auth;

public static class ForgotPassword
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/forgot-password", Handle)
        .WithName("ForgotPassword")
        .WithSummary("Email a single-use link to choose a new password; the answer is the same whether or not the email is registered")
        .Validate<ForgotPasswordRequest>()
        .RequireRateLimiting(RateLimits.ForgotPassword)
        .ProducesProblem(StatusCodes.Status429TooManyRequests);

    private static async Task<Accepted<Contracts.Accounts.Accepted>> Handle(
        ForgotPasswordRequest request, HttpContext http, UserManager<HeadlessUser> users, AccountsDb accounts,
        IOptions<AccountsOptions> options, CancellationToken ct)
    {
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        if (await users.FindByEmailAsync(request.Email!.Trim()) is { EmailConfirmed: true } user)
        {
            var code = AccountRules.EncodeToken(await users.GeneratePasswordResetTokenAsync(user));
            var link = $"{options.Value.PublicBaseUrl}/account/reset-password?email={Uri.EscapeDataString(user.Email)}&code={code}";
            await EmailQueue.EnqueueAsync(log, new EmailRequest("reset-password", user.Email, user.DisplayName,
                new JsonObject { ["name"] = user.DisplayName, ["link"] = link, ["expiresInMinutes"] = 60 }, user.Id.ToString()));
            await AccountAudit.RecordAsync(log, "password.reset-requested", user.Id);
        }
        await accounts.CommitAsync(ct);
        return TypedResults.Accepted((string?)null,
            new Contracts.Accounts.Accepted("If an account uses this address, we sent it a link to choose a new password. The link works once, for 60 minutes."));
    }
}
