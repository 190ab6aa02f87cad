using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Auth;

public static class ConfirmEmail
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/confirm-email", Handle)
        .WithName("ConfirmEmail")
        .WithSummary("Confirm an email address with the userId and code from the emailed link")
        .Validate<ConfirmEmailRequest>();

    private static async Task<Results<Ok<Contracts.Accounts.Accepted>, ProblemHttpResult>> Handle(
        ConfirmEmailRequest request, HttpContext http, UserManager<HeadlessUser> users, AccountsDb accounts, CancellationToken ct)
    {
        var invalid = Platform.Problems.Problems.Validation("code", "This link is invalid or has expired. Ask for a new one with POST /api/v1/auth/resend-confirmation.");
        var code = AccountRules.DecodeToken(request.Code);
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        var user = await users.FindByIdAsync(request.UserId!.Value.ToString());
        if (user is null || code is null)
        {
            return invalid;
        }
        if (!user.EmailConfirmed)
        {
            var result = await users.ConfirmEmailAsync(user, code);
            if (!result.Succeeded)
            {
                return invalid;
            }
            await AccountAudit.RecordAsync(log, "user.email-confirmed", user.Id);
        }
        await accounts.CommitAsync(ct);
        return TypedResults.Ok(new Contracts.Accounts.Accepted("Your email address is confirmed. You can sign in now."));
    }
}
