using FastEndpoints;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Accounts;
using Npgsql;

namespace Headless.Api.Features.Accounts.Consents;

public sealed class GetConsents(NpgsqlDataSource db) : EndpointWithoutRequest<ConsentList>
{
    public override void Configure()
    {
        Get("/account/consents");
        Group<PublicApi>();
        Policies(Platform.Security.Policies.SignedIn);
        Description(b => b.WithName("GetConsents").WithTags("Account").ProducesProblem(StatusCodes.Status401Unauthorized));
        Summary(s => s.Summary = "Current consent per purpose and the full history of grants and withdrawals");
    }

    public override async Task<ConsentList> ExecuteAsync(CancellationToken ct)
    {
        var http = HttpContext;
        await using var conn = await db.OpenConnectionAsync(ct);
        http.Response.Headers.CacheControl = "no-store";
        return ConsentQueries.ToList(await ConsentQueries.HistoryAsync(conn, http.User.UserId()!.Value));
    }
}
