using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Accounts;
using Npgsql;

namespace Headless.Api.Features.Accounts.Admin;

public sealed class ListApiKeys(NpgsqlDataSource db) : EndpointWithoutRequest<ApiKeyList>
{
    public override void Configure()
    {
        Get("/api-keys");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.Admin);
        Description(b => b.WithName("ListApiKeys").WithTags("Admin accounts"));
        Summary(s => s.Summary = "List API keys (never their secrets) with scopes and last use");
    }

    public override async Task<ApiKeyList> ExecuteAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = await conn.QueryAsync<(Guid Id, string Name, string Prefix, string[] Scopes, DateTime CreatedAt, DateTime? LastUsedAt, DateTime? RevokedAt)>(
            "select id, name, prefix, scopes, created_at, last_used_at, revoked_at from api_keys order by created_at desc");
        return new ApiKeyList(rows.Select(r => new ApiKeyInfo(r.Id, r.Name, r.Prefix, r.Scopes, r.CreatedAt, r.LastUsedAt, r.RevokedAt)).ToList());
    }
}
