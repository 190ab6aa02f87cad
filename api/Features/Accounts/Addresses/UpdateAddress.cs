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

public sealed class UpdateAddress(AccountsDb accounts, PersonalDataVault vault) : Endpoint<UpdateAddress.Request, Results<Ok<Address>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Put("/account/addresses/{id:guid}");
        Group<PublicApi>();
        Policies(Platform.Security.Policies.SignedIn);
        Description(b => b.WithName("UpdateAddress").WithTags("Account")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound));
        Summary(s => s.Summary = "Replace a saved address");
    }

    public sealed class Request : JsonBody<AddressInput>
    {
        [RouteParam]
        public Guid Id { get; set; }
    }

    public sealed class Validator(IValidator<AddressInput> rules) : JsonBodyValidator<Request, AddressInput>(rules);

    public override async Task<Results<Ok<Address>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (id, input, http) = (req.Id, req.Body, HttpContext);
        var userId = http.User.UserId()!.Value;
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        if (input.IsDefault == true)
        {
            await AddressRules.ClearDefaultAsync(log.Connection, log.Transaction, userId, input.Kind!);
        }
        var row = await log.Connection.QuerySingleOrDefaultAsync<AddressRules.Row>($"""
            update addresses set kind = @Kind, is_default = @isDefault, version = version + 1, updated_at = now()
            where id = @id and user_id = @userId
            returning {AddressRules.Columns}
            """, AddressRules.Parameters(id, userId, input), log.Transaction);
        if (row is null)
        {
            return Platform.Problems.Problems.NotFound($"You have no address {id}.");
        }
        await AddressRules.PutAsync(log.Connection, log.Transaction, vault, userId, id, input, ct);
        await AccountAudit.RecordAsync(log, "address.updated", userId);
        await accounts.CommitAsync(ct);
        return TypedResults.Ok(row.ToContract(input));
    }
}
