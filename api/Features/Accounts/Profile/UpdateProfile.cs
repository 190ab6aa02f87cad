using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Profile;

public sealed class UpdateProfile(UserManager<HeadlessUser> users, SignIns signIns, AccountsDb accounts)
    : Endpoint<UpdateProfile.Request, Results<Ok<Me>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Patch("/account");
        Group<PublicApi>();
        Policies(Platform.Security.Policies.SignedIn);
        Description(b => b.WithName("UpdateProfile").WithTags("Account").ProducesProblem(StatusCodes.Status401Unauthorized));
        Summary(s => s.Summary = "Change the signed-in user's name; only the fields sent change");
    }

    public sealed class Request : JsonBody<UpdateProfileRequest>;

    public sealed class Validator(IValidator<UpdateProfileRequest> rules) : JsonBodyValidator<Request, UpdateProfileRequest>(rules);

    public override async Task<Results<Ok<Me>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = (req.Body, HttpContext);
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        var user = await CurrentUser.LoadAsync(http, users);
        if (user is null)
        {
            return CurrentUser.Gone();
        }
        user.FirstName = request.FirstName?.Trim() ?? user.FirstName;
        user.LastName = request.LastName?.Trim() ?? user.LastName;
        await users.UpdateAsync(user);
        await AccountAudit.RecordAsync(log, "user.profile-updated", user.Id);
        await accounts.CommitAsync(ct);
        return TypedResults.Ok(await signIns.MeAsync(user));
    }
}

public sealed class UpdateProfileRequestValidator : AbstractValidator<UpdateProfileRequest>
{
    public UpdateProfileRequestValidator()
    {
        RuleFor(r => r.FirstName).PersonName();
        RuleFor(r => r.LastName).PersonName();
    }
}
