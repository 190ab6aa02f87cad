using System.Text.Json.Nodes;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Accounts.Auth;

public sealed class Login(UserManager<HeadlessUser> users, SignIns signIns, AccountsDb accounts)
    : Endpoint<Login.Request, Results<Ok<AuthResponse>, ProblemHttpResult>>
{
    private const string WrongCredentials = "The email or password is wrong, or the account is locked for a while after too many failed attempts.";

    public override void Configure()
    {
        Post("/auth/login");
        Group<PublicApi>();
        AllowAnonymous();
        Options(b => b.RequireRateLimiting(RateLimits.Login));
        Description(b => b.WithName("Login").WithTags("Auth")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests));
        Summary(s =>
        {
            s.Summary = "Sign in with email and password (and a second factor when MFA is on); bearer tokens by default, a cookie with useCookies";
            s.Description = "A wrong password, an unknown address and a locked account get the same 401 login-failed; 403 email-not-confirmed comes only after the right password. "
                + "When MFA is on and no code is sent, the answer is 401 with type .../mfa-required: send the authenticator code as twoFactorCode, or a recovery code as recoveryCode. "
                + "An authenticator code is accepted once (a second use in its 30-second window is 401 mfa-failed).";
        });
    }

    public sealed class Request : JsonBody<LoginRequest>;

    public sealed class Validator(IValidator<LoginRequest> rules) : JsonBodyValidator<Request, LoginRequest>(rules);

    public override async Task<Results<Ok<AuthResponse>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = (req.Body, HttpContext);
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        var user = await users.FindByEmailAsync(request.Email!.Trim());
        // One answer, after the same hashing work, for an unknown address, a wrong password and a locked
        // account: only the right password learns that the account is unconfirmed or wants a second factor.
        var password = await PasswordCheck.CheckAsync(users, user, request.Password!);
        if (user is null || password != PasswordOutcome.Right)
        {
            await AccountAudit.RecordAsync(log, password == PasswordOutcome.LockedOut ? "auth.locked-out" : "auth.login-failed", user?.Id);
            await accounts.CommitAsync(ct);
            return Unauthorized(WrongCredentials);
        }
        if (!user.EmailConfirmed)
        {
            await accounts.CommitAsync(ct);
            return Make(StatusCodes.Status403Forbidden, "email-not-confirmed", "Email not confirmed",
                "Confirm your email address with the link we sent, or ask for a new one: POST /api/v1/auth/resend-confirmation.");
        }

        var withSecondFactor = false;
        if (user.TwoFactorEnabled)
        {
            if (string.IsNullOrWhiteSpace(request.TwoFactorCode) && string.IsNullOrWhiteSpace(request.RecoveryCode))
            {
                await accounts.CommitAsync(ct);
                return SecondFactor.Required(SecondFactor.WithPassword);
            }
            if (!await SecondFactor.VerifyAsync(users, user, request.TwoFactorCode, request.RecoveryCode))
            {
                await users.AccessFailedAsync(user);
                await AccountAudit.RecordAsync(log, "auth.mfa-failed", user.Id);
                await accounts.CommitAsync(ct);
                return SecondFactor.Failed();
            }
            withSecondFactor = true;
        }
        // As SignInManager does: a right password alone does not clear failed codes while MFA is on.
        await users.ResetAccessFailedCountAsync(user);

        var response = await signIns.SignInAsync(http, log, user, withSecondFactor, request.UseCookies == true);
        await AccountAudit.RecordAsync(log, "auth.login-succeeded", user.Id, new JsonObject
        {
            ["method"] = withSecondFactor ? (request.RecoveryCode is null ? "password+totp" : "password+recovery-code") : "password",
            ["kind"] = request.UseCookies == true ? "cookie" : "bearer",
        });
        await accounts.CommitAsync(ct);
        return TypedResults.Ok(response);
    }

    private static ProblemHttpResult Unauthorized(string detail) =>
        Make(StatusCodes.Status401Unauthorized, "login-failed", "Sign-in failed", detail);
}
