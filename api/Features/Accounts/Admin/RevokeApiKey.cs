using Dapper;
using FastEndpoints;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Headless.Api.Features.Accounts.Admin;

public sealed class RevokeApiKey(AccountsDb accounts) : Endpoint<RevokeApiKey.Request, Results<NoContent, ProblemHttpResult>>
{
    public override void Configure()
    {
        Delete("/api-keys/{id:guid}");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.Admin);
        Description(b => b.WithName("RevokeApiKey").WithTags("Admin accounts").ProducesProblem(StatusCodes.Status404NotFound));
        Summary(s => s.Summary = "Revoke an API key; it stops working at once");
    }

    public sealed class Request
    {
        [RouteParam]
        public Guid Id { get; set; }
    }

    public override async Task<Results<NoContent, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (id, http) = (req.Id, HttpContext);
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        var exists = await log.Connection.ExecuteScalarAsync<bool>("select exists (select 1 from api_keys where id = @id)", new { id }, log.Transaction);
        if (!exists)
        {
            return Platform.Problems.Problems.NotFound($"No API key has the id {id}.");
        }
        var revoked = await log.Connection.ExecuteAsync("update api_keys set revoked_at = now() where id = @id and revoked_at is null", new { id }, log.Transaction);
        if (revoked > 0)
        {
            await log.AuditAsync("api_key.revoked", "api_key", id.ToString(), null, null);
        }
        await accounts.CommitAsync(ct);
        return TypedResults.NoContent();
    }
}
