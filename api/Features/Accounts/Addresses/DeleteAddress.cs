using Dapper;
using FastEndpoints;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Vaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Headless.Api.Features.Accounts.Addresses;

public sealed class DeleteAddress(AccountsDb accounts, PersonalDataVault vault) : Endpoint<DeleteAddress.Request, Results<NoContent, ProblemHttpResult>>
{
    public override void Configure()
    {
        Delete("/account/addresses/{id:guid}");
        Group<PublicApi>();
        Policies(Platform.Security.Policies.SignedIn);
        Description(b => b.WithName("DeleteAddress").WithTags("Account")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound));
        Summary(s => s.Summary = "Delete a saved address");
    }

    public sealed class Request
    {
        [RouteParam]
        public Guid Id { get; set; }
    }

    public override async Task<Results<NoContent, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (id, http) = (req.Id, HttpContext);
        var userId = http.User.UserId()!.Value;
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        var deleted = await log.Connection.ExecuteAsync("delete from addresses where id = @id and user_id = @userId", new { id, userId }, log.Transaction);
        if (deleted == 0)
        {
            return Platform.Problems.Problems.NotFound($"You have no address {id}.");
        }
        await AddressRules.PutAsync(log.Connection, log.Transaction, vault, userId, id, null, ct);
        await AccountAudit.RecordAsync(log, "address.deleted", userId);
        await accounts.CommitAsync(ct);
        return TypedResults.NoContent();
    }
}
