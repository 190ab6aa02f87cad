using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

using Erasure = Headless.Contracts.Accounts.Erasure;

namespace Headless.Api.Features.Accounts.Gdpr;

public sealed class EraseMyAccount(UserManager<HeadlessUser> users, Sessions sessions, AccountsDb accounts, PersonalDataVault vault)
    : Endpoint<EraseMyAccount.Request, Results<Ok<Erasure>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/account/erase");
        Group<PublicApi>();
        Policies(Platform.Security.Policies.SignedIn);
        Description(b => b.WithName("EraseMyAccount").WithTags("Account")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status409Conflict));
        Summary(s => s.Summary = "Erase your account and personal data for good (needs the password again); orders keep only what tax law requires");
    }

    public sealed class Request : JsonBody<ReauthenticateRequest>;

    public sealed class Validator(IValidator<ReauthenticateRequest> rules) : JsonBodyValidator<Request, ReauthenticateRequest>(rules);

    public override async Task<Results<Ok<Erasure>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = (req.Body, HttpContext);
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        var user = await CurrentUser.LoadAsync(http, users);
        if (user is null)
        {
            return CurrentUser.Gone();
        }
        if (!await CurrentUser.ReauthenticateAsync(users, user, request.Password!))
        {
            await accounts.CommitAsync(ct);
            return CurrentUser.WrongPassword();
        }
        if (await AdminAccount.IsLastAdminAsync(log, user.Id))
        {
            return Platform.Problems.Problems.Conflict("This is the last admin account. Make someone else admin before erasing it.");
        }
        var erasedAt = await PersonalData.EraseAsync(log, sessions, vault, user.Id, ct);
        await accounts.CommitAsync(ct);
        await http.SignOutAsync(IdentityConstants.ApplicationScheme);
        return TypedResults.Ok(new Erasure(user.Id, erasedAt!.Value));
    }
}
