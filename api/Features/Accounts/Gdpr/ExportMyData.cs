using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Headless.Api.Features.Accounts.Gdpr;

public static class ExportMyData
{
    public static void Map(RouteGroupBuilder group) => group
        .MapGet("/export", Handle)
        .WithName("ExportMyData")
        .WithSummary("Download everything the shop holds about you, as JSON");

    private static async Task<Results<Ok<PersonalDataExport>, ProblemHttpResult>> Handle(HttpContext http, AccountsDb accounts, CancellationToken ct)
    {
        var userId = http.User.UserId()!.Value;
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        var export = await PersonalData.ExportAsync(log.Connection, userId, log.Transaction);
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
