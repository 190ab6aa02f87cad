using Dapper;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Headless.Api.Features.Accounts.Addresses;

public static class DeleteAddress
{
    public static void Map(RouteGroupBuilder group) => group
        .MapDelete("/addresses/{id:guid}", Handle)
        .WithName("DeleteAddress")
        .WithSummary("Delete a saved address")
        .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Results<NoContent, ProblemHttpResult>> Handle(Guid id, HttpContext http, AccountsDb accounts, CancellationToken ct)
    {
        var userId = http.User.UserId()!.Value;
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        var deleted = await log.Connection.ExecuteAsync("delete from addresses where id = @id and user_id = @userId", new { id, userId }, log.Transaction);
        if (deleted == 0)
        {
            return Platform.Problems.Problems.NotFound($"You have no address {id}.");
        }
        await AccountAudit.RecordAsync(log, "address.deleted", userId);
        await accounts.CommitAsync(ct);
        return TypedResults.NoContent();
    }
}
