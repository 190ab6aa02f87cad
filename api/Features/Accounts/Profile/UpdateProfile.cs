using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Profile;

public static class UpdateProfile
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPatch("", Handle)
        .WithName("UpdateProfile")
        .WithSummary("Change the signed-in user's name; only the fields sent change")
        .Validate<UpdateProfileRequest>();

    private static async Task<Results<Ok<Me>, ProblemHttpResult>> Handle(
        UpdateProfileRequest request, HttpContext http, UserManager<HeadlessUser> users, SignIns signIns, AccountsDb accounts, CancellationToken ct)
    {
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
