using FastEndpoints;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Headless.Api.Features.Accounts.Gdpr;

public sealed class ExportMyData(AccountsDb accounts, PersonalDataVault vault) : EndpointWithoutRequest<Results<Ok<PersonalDataExport>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/account/export");
        Group<PublicApi>();
        Policies(Platform.Security.Policies.SignedIn);
        Description(b => b.WithName("ExportMyData").WithTags("Account").ProducesProblem(StatusCodes.Status401Unauthorized));
        Summary(s => s.Summary = "Download everything the shop holds about you, as JSON");
    }

    public override async Task<Results<Ok<PersonalDataExport>, ProblemHttpResult>> ExecuteAsync(CancellationToken ct)
    {
        var http = HttpContext;
        var userId = http.User.UserId()!.Value;
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        var export = await PersonalData.ExportAsync(log.Connection, vault, userId, log.Transaction, ct);
        if (export is null)
        {
            return CurrentUser.Gone();
        }
        await AccountAudit.RecordAsync(log, "gdpr.exported", userId);
        await accounts.CommitAsync(ct);
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.ContentDisposition = "attachment; filename=\"my-data.json\"";
        return TypedResults.Ok(export);
    }
}
