using Headless.Api.Features.Accounts.Gdpr;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Headless.Api.Features.Accounts.Admin;

public static class ExportCustomerData
{
    public static void Map(RouteGroupBuilder group) => group
        .MapGet("/customers/{id:guid}/export", Handle)
        .WithName("ExportCustomerData")
        .WithSummary("Export everything held about a customer (for a data subject access request)")
        .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Results<Ok<PersonalDataExport>, ProblemHttpResult>> Handle(Guid id, HttpContext http, AccountsDb accounts, CancellationToken ct)
    {
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        var export = await PersonalData.ExportAsync(log.Connection, id, log.Transaction);
        if (export is null)
        {
            return Platform.Problems.Problems.NotFound($"No account has the id {id}, or it was erased.");
        }
        await AccountAudit.RecordAsync(log, "gdpr.exported-by-staff", id);
        await accounts.CommitAsync(ct);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(export);
    }
}

public static class EraseCustomer
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/customers/{id:guid}/erase", Handle)
        .WithName("EraseCustomer")
        .WithSummary("Erase a customer's account and personal data for good (for an erasure request); audited, cannot be undone")
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<Results<Ok<Erasure>, ProblemHttpResult>> Handle(Guid id, HttpContext http, Sessions sessions, AccountsDb accounts, CancellationToken ct)
    {
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        if (await AdminAccount.IsLastAdminAsync(log, id))
        {
            return Platform.Problems.Problems.Conflict("This is the last admin account. Make someone else admin before erasing it.");
        }
        var erasedAt = await PersonalData.EraseAsync(log, sessions, id);
        if (erasedAt is null)
        {
            return Platform.Problems.Problems.NotFound($"No account has the id {id}, or it was already erased.");
        }
        await accounts.CommitAsync(ct);
        return TypedResults.Ok(new Erasure(id, erasedAt.Value));
    }
}
