using FastEndpoints;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Profile;

public sealed class GetMe(UserManager<HeadlessUser> users, SignIns signIns) : EndpointWithoutRequest<Results<Ok<Me>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/account");
        Group<PublicApi>();
        Policies(Platform.Security.Policies.SignedIn);
        Description(b => b.WithName("GetMe").WithTags("Account").ProducesProblem(StatusCodes.Status401Unauthorized));
        Summary(s => s.Summary = "The signed-in user: profile, roles, MFA state");
    }

    public override async Task<Results<Ok<Me>, ProblemHttpResult>> ExecuteAsync(CancellationToken ct)
    {
        var http = HttpContext;
        var user = await CurrentUser.LoadAsync(http, users);
        if (user is null)
        {
            return CurrentUser.Gone();
        }
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(await signIns.MeAsync(user));
    }
}
