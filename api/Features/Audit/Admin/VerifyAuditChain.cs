using FastEndpoints;
using Headless.Api.Platform.Audit;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Features.Audit.Admin;

public sealed class VerifyAuditChain(NpgsqlDataSource db) : EndpointWithoutRequest<Ok<AuditVerification>>
{
    public override void Configure()
    {
        Get("/audit/verification");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.Admin);
        Description(b => b.WithName("VerifyAuditChain").WithTags("Admin audit"));
        Summary(s =>
        {
            s.Summary = "Check the whole audit chain: intact, or the first row that was altered, deleted or reordered";
            s.Description = "Recomputes every row's SHA-256 hash from its content and its predecessor's hash, oldest first, and compares the end with the recorded chain head. " +
                "Answers 200 either way: `intact` false and `firstBroken` (seq, id, reason) when the log was tampered with. The same check as `./build.sh audit-verify`. Reads the whole log: for occasional use.";
        });
    }

    public override async Task<Ok<AuditVerification>> ExecuteAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return TypedResults.Ok(await AuditChain.VerifyAsync(conn, ct));
    }
}
