using FastEndpoints;
using Headless.Api.Features.Accounts.Gdpr;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Vaults;
using Microsoft.AspNetCore.Http.HttpResults;

using Erasure = Headless.Contracts.Accounts.Erasure;

namespace Headless.Api.Features.Accounts.Admin;

public sealed class EraseCustomer(Sessions sessions, AccountsDb accounts, PersonalDataVault vault)
    : Endpoint<EraseCustomer.Request, Results<Ok<Erasure>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/customers/{id:guid}/erase");
        Group<AdminApi>();
        // The generated C# client sends an empty JSON body on bodyless POSTs: read route values only.
        RequestBinder(new RequestBinder<Request>(BindingSource.RouteValues));
        Policies(Platform.Security.Policies.Admin);
        Description(b => b.WithName("EraseCustomer").WithTags("Admin accounts")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict));
        Summary(s => s.Summary = "Erase a customer's account and personal data for good (for an erasure request); audited, cannot be undone");
    }

    public sealed class Request
    {
        [RouteParam]
        public Guid Id { get; set; }
    }

    public override async Task<Results<Ok<Erasure>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (id, http) = (req.Id, HttpContext);
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        if (await AdminAccount.IsLastAdminAsync(log, id))
        {
            return Platform.Problems.Problems.Conflict("This is the last admin account. Make someone else admin before erasing it.");
        }
        var erasedAt = await PersonalData.EraseAsync(log, sessions, vault, id, ct);
        if (erasedAt is null)
        {
            return Platform.Problems.Problems.NotFound($"No account has the id {id}, or it was already erased.");
        }
        await accounts.CommitAsync(ct);
        return TypedResults.Ok(new Erasure(id, erasedAt.Value));
    }
}
