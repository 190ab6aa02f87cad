using FastEndpoints;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Mfa;

public sealed class GetMfaStatus(UserManager<HeadlessUser> users) : EndpointWithoutRequest<Results<Ok<MfaStatus>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/account/mfa");
        Group<PublicApi>();
        Policies(Platform.Security.Policies.SignedIn);
        Description(b => b.WithName("GetMfaStatus").WithTags("Account").ProducesProblem(StatusCodes.Status401Unauthorized));
        Summary(s => s.Summary = "Whether two-factor sign-in is on and how many recovery codes are left");
    }

    public override async Task<Results<Ok<MfaStatus>, ProblemHttpResult>> ExecuteAsync(CancellationToken ct)
    {
        var user = await CurrentUser.LoadAsync(HttpContext, users);
        return user is null ? CurrentUser.Gone() : TypedResults.Ok(await MfaChanges.StatusAsync(users, user));
    }
}
