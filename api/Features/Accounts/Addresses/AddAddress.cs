using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Headless.Api.Features.Accounts.Addresses;

public sealed class AddAddress(AccountsDb accounts, PersonalDataVault vault) : Endpoint<AddAddress.Request, Results<Created<Address>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/account/addresses");
        Group<PublicApi>();
        Policies(Platform.Security.Policies.SignedIn);
        Description(b => b.WithName("AddAddress").WithTags("Account")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status409Conflict));
        Summary(s => s.Summary = "Save a shipping or billing address; isDefault makes it the default of its kind");
    }

    public sealed class Request : JsonBody<AddressInput>;

    public sealed class Validator(IValidator<AddressInput> rules) : JsonBodyValidator<Request, AddressInput>(rules);

    public override async Task<Results<Created<Address>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (input, http) = (req.Body, HttpContext);
        var userId = http.User.UserId()!.Value;
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        var count = await log.Connection.ExecuteScalarAsync<int>("select count(*) from addresses where user_id = @userId", new { userId }, log.Transaction);
        if (count >= AddressRules.MaxPerUser)
        {
            return Platform.Problems.Problems.Conflict($"An account keeps at most {AddressRules.MaxPerUser} addresses. Delete one first.");
        }
        if (input.IsDefault == true)
        {
            await AddressRules.ClearDefaultAsync(log.Connection, log.Transaction, userId, input.Kind!);
        }
        var row = await log.Connection.QuerySingleAsync<AddressRules.Row>($"""
            insert into addresses (id, user_id, kind, is_default) values (@id, @userId, @Kind, @isDefault)
            returning {AddressRules.Columns}
            """, AddressRules.Parameters(Guid.CreateVersion7(), userId, input), log.Transaction);
        await AddressRules.PutAsync(log.Connection, log.Transaction, vault, userId, row.Id, input, ct);
        await AccountAudit.RecordAsync(log, "address.added", userId);
        await accounts.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/account/addresses/{row.Id}", row.ToContract(input));
    }
}
