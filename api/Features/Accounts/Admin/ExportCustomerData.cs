using FastEndpoints;
using Headless.Api.Features.Accounts.Gdpr;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Headless.Api.Features.Accounts.Admin;

public sealed class ExportCustomerData(AccountsDb accounts, PersonalDataVault vault)
    : Endpoint<ExportCustomerData.Request, Results<Ok<PersonalDataExport>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/customers/{id:guid}/export");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.Admin);
        Description(b => b.WithName("ExportCustomerData").WithTags("Admin accounts").ProducesProblem(StatusCodes.Status404NotFound));
        Summary(s => s.Summary = "Export everything held about a customer (for a data subject access request)");
    }

    public sealed class Request
    {
        [RouteParam]
        public Guid Id { get; set; }
    }

    public override async Task<Results<Ok<PersonalDataExport>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (id, http) = (req.Id, HttpContext);
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        var export = await PersonalData.ExportAsync(log.Connection, vault, id, log.Transaction, ct);
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
