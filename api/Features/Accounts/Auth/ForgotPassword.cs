using System.Text.Json.Nodes;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Features.Email;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Headless.Api.Features.Accounts.Auth;

public sealed class ForgotPassword(UserManager<HeadlessUser> users, AccountsDb accounts, IOptions<AccountsOptions> options)
    : Endpoint<ForgotPassword.Request, Accepted<Contracts.Accounts.Accepted>>
{
    public override void Configure()
    {
        Post("/auth/forgot-password");
        Group<PublicApi>();
        AllowAnonymous();
        Options(b => b.RequireRateLimiting(RateLimits.ForgotPassword));
        Description(b => b.WithName("ForgotPassword").WithTags("Auth").ProducesProblem(StatusCodes.Status429TooManyRequests));
        Summary(s => s.Summary = "Email a single-use link to choose a new password; the answer is the same whether or not the email is registered");
    }

    public sealed class Request : JsonBody<ForgotPasswordRequest>;

    public sealed class Validator(IValidator<ForgotPasswordRequest> rules) : JsonBodyValidator<Request, ForgotPasswordRequest>(rules);

    public override async Task<Accepted<Contracts.Accounts.Accepted>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = (req.Body, HttpContext);
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
