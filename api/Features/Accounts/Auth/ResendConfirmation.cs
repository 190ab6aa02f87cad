using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Headless.Api.Features.Accounts.Auth;

public sealed class ResendConfirmation(UserManager<HeadlessUser> users, AccountsDb accounts, IOptions<AccountsOptions> options)
    : Endpoint<ResendConfirmation.Request, Accepted<Contracts.Accounts.Accepted>>
{
    public override void Configure()
    {
        Post("/auth/resend-confirmation");
        Group<PublicApi>();
        AllowAnonymous();
        Options(b => b.RequireRateLimiting(RateLimits.Register));
        Description(b => b.WithName("ResendConfirmation").WithTags("Auth").ProducesProblem(StatusCodes.Status429TooManyRequests));
        Summary(s => s.Summary = "Email a new confirmation link; the answer is the same whether or not the email is registered");
    }

    public sealed class Request : JsonBody<ResendConfirmationRequest>;

    public sealed class Validator(IValidator<ResendConfirmationRequest> rules) : JsonBodyValidator<Request, ResendConfirmationRequest>(rules);

    public override async Task<Accepted<Contracts.Accounts.Accepted>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = (req.Body, HttpContext);
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        if (await users.FindByEmailAsync(request.Email!.Trim()) is { EmailConfirmed: false } user)
        {
            await Register.SendConfirmationAsync(log, users, user, options.Value);
        }
        await accounts.CommitAsync(ct);
        return TypedResults.Accepted((string?)null, new Contracts.Accounts.Accepted(Register.Message));
    }
}
