using System.Text.Json.Nodes;
using Dapper;
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

public sealed class Register(UserManager<HeadlessUser> users, AccountsDb accounts, IOptions<AccountsOptions> options)
    : Endpoint<Register.Request, Results<Accepted<Contracts.Accounts.Accepted>, ProblemHttpResult>>
{
    public const string Message = "If this address can be registered, we sent it an email with a link to confirm it.";

    public override void Configure()
    {
        Post("/auth/register");
        Group<PublicApi>();
        AllowAnonymous();
        Options(b => b.RequireRateLimiting(RateLimits.Register));
        Description(b => b.WithName("Register").WithTags("Auth").ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status421MisdirectedRequest)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable));
        Summary(s =>
        {
            s.Summary = "Create a customer account; a confirmation link is emailed. The answer is the same whether or not the email is registered";
            s.Description = "country (optional, ISO 3166-1 alpha-2) decides where the account's personal data is kept: the eu vault for the EU/EEA, "
                + "the UK and Switzerland, the us vault for everyone else; without it, this API's own region. A bad code is a 400 naming the field, "
                + "with nothing written. An API that serves one region only answers a registration for the other region with 421 wrong-region, "
                + "naming that region's API in apiBase. Someone who ordered as a guest with this email becomes the same person once the "
                + "address is confirmed (until then the account only claims the address, and erasing it leaves the guest's orders alone). "
                + "503 vault-unavailable (with Retry-After) while the region's personal-data vault cannot be reached.";
        });
    }

    public sealed class Request : JsonBody<RegisterRequest>;

    public sealed class Validator(IValidator<RegisterRequest> rules) : JsonBodyValidator<Request, RegisterRequest>(rules);

    public override async Task<Results<Accepted<Contracts.Accounts.Accepted>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = (req.Body, HttpContext);
        var policy = await AccountRules.CheckPasswordPolicyAsync(users, request.Password!);
        if (!policy.Succeeded)
        {
            return Platform.Problems.Problems.Validation(AccountRules.PasswordErrors(policy, "password"));
        }
        var email = request.Email!.Trim();
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        var existing = await users.FindByEmailAsync(email);
        if (existing is null)
        {
            var user = new HeadlessUser
            {
                Email = email,
                FirstName = request.FirstName?.Trim(),
                LastName = request.LastName?.Trim(),
                Country = request.Country?.Trim().ToUpperInvariant(),
            };
            var created = await users.CreateAsync(user, request.Password!);
            if (!created.Succeeded)
            {
                return Platform.Problems.Problems.Validation(AccountRules.PasswordErrors(created, "password"));
            }
            await users.AddToRoleAsync(user, AccountRoles.Customer);
            if (request.MarketingConsent == true)
            {
                await log.Connection.ExecuteAsync(
                    "insert into consents (user_id, purpose, granted, policy_version) values (@Id, 'marketing', true, @version)",
                    new { user.Id, version = options.Value.PrivacyPolicyVersion }, log.Transaction);
            }
            await SendConfirmationAsync(log, users, user, options.Value);
            await AccountAudit.RecordAsync(log, "user.registered", user.Id);
            await log.EventAsync("customer.created", "customer", user.Id.ToString());
        }
        else
        {
            // Spend the same hashing time as a new account does, so timing does not tell which one it was.
            users.PasswordHasher.HashPassword(existing, request.Password!);
            if (!existing.EmailConfirmed)
            {
                await SendConfirmationAsync(log, users, existing, options.Value);
            }
            else
            {
                await EmailQueue.EnqueueAsync(log, new EmailRequest("already-registered", existing.Email, existing.DisplayName,
                    new JsonObject { ["name"] = existing.DisplayName, ["link"] = options.Value.PublicBaseUrl + "/account/forgot-password" }, existing.Id.ToString()));
            }
        }
        await accounts.CommitAsync(ct);
        return TypedResults.Accepted((string?)null, new Contracts.Accounts.Accepted(Message));
    }

    public static async Task SendConfirmationAsync(WriteLog log, UserManager<HeadlessUser> users, HeadlessUser user, AccountsOptions options)
    {
        var code = AccountRules.EncodeToken(await users.GenerateEmailConfirmationTokenAsync(user));
        var link = $"{options.PublicBaseUrl}/account/confirm-email?userId={user.Id}&code={code}";
        await EmailQueue.EnqueueAsync(log, new EmailRequest("confirm-email", user.Email, user.DisplayName,
            new JsonObject { ["name"] = user.DisplayName, ["link"] = link }, user.Id.ToString()));
    }
}
