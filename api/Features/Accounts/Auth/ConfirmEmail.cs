using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Auth;

public sealed class ConfirmEmail(UserManager<HeadlessUser> users, AccountsDb accounts)
    : Endpoint<ConfirmEmail.Request, Results<Ok<Contracts.Accounts.Accepted>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/auth/confirm-email");
        Group<PublicApi>();
        AllowAnonymous();
        Description(b => b.WithName("ConfirmEmail").WithTags("Auth"));
        Summary(s => s.Summary = "Confirm an email address with the userId and code from the emailed link");
    }

    public sealed class Request : JsonBody<ConfirmEmailRequest>;

    public sealed class Validator(IValidator<ConfirmEmailRequest> rules) : JsonBodyValidator<Request, ConfirmEmailRequest>(rules);

    public override async Task<Results<Ok<Contracts.Accounts.Accepted>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = (req.Body, HttpContext);
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
