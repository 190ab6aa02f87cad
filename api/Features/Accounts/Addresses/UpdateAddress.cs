using Dapper;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Headless.Api.Features.Accounts.Addresses;

public static class UpdateAddress
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPut("/addresses/{id:guid}", Handle)
        .WithName("UpdateAddress")
        .WithSummary("Replace a saved address")
        .Validate<AddressInput>()
        .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Results<Ok<Address>, ProblemHttpResult>> Handle(Guid id, AddressInput input, HttpContext http, AccountsDb accounts, CancellationToken ct)
    {
        var userId = http.User.UserId()!.Value;
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        if (input.IsDefault == true)
        {
            await AddressRules.ClearDefaultAsync(log.Connection, log.Transaction, userId, input.Kind!);
        }
        var row = await log.Connection.QuerySingleOrDefaultAsync<AddressRules.Row>($"""
            update addresses set kind = @Kind, is_default = @isDefault, full_name = @FullName, line1 = @Line1, line2 = @line2,
                city = @City, region = @region, postal_code = @postalCode, country = @Country, phone = @phone,
                version = version + 1, updated_at = now()
            where id = @id and user_id = @userId
            returning {AddressRules.Columns}
            """, AddressRules.Parameters(id, userId, input), log.Transaction);
        if (row is null)
        {
            return Platform.Problems.Problems.NotFound($"You have no address {id}.");
        }
        await AccountAudit.RecordAsync(log, "address.updated", userId);
        await accounts.CommitAsync(ct);
        return TypedResults.Ok(row.ToContract());
    }
}
