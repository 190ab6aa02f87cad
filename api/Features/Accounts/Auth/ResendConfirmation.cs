using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Headless.Api.Features.Accounts.Auth;

public static class ResendConfirmation
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/resend-confirmation", Handle)
        .WithName("ResendConfirmation")
        .WithSummary("Email a new confirmation link; the answer is the same whether or not the email is registered")
        .Validate<ResendConfirmationRequest>()
        .RequireRateLimiting(RateLimits.Register)
        .ProducesProblem(StatusCodes.Status429TooManyRequests);

    private static async Task<Accepted<Contracts.Accounts.Accepted>> Handle(
        ResendConfirmationRequest request, HttpContext http, UserManager<HeadlessUser> users, AccountsDb accounts, IOptions<AccountsOptions> options, CancellationToken ct)
    {
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        if (await users.FindByEmailAsync(request.Email!.Trim()) is { EmailConfirmed: false } user)
        {
            await Register.SendConfirmationAsync(log, users, user, options.Value);
        }
        await accounts.CommitAsync(ct);
        return TypedResults.Accepted((string?)null, new Contracts.Accounts.Accepted(Register.Message));
    }
}
