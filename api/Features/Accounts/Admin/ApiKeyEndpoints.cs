using System.Text.Json.Nodes;
using Dapper;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Security;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Features.Accounts.Admin;

public static class CreateApiKey
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/api-keys", Handle)
        .WithName("CreateApiKey")
        .WithSummary("Create an API key for an integration; the secret is in this response only, we keep just its hash")
        .Validate<CreateApiKeyRequest>();

    private static async Task<Created<ApiKeyCreated>> Handle(CreateApiKeyRequest request, HttpContext http, AccountsDb accounts, CancellationToken ct)
    {
        var actor = Actor.From(http);
        var log = await accounts.BeginAsync(actor, ct);
        var scopes = request.Scopes!.Distinct().Order(StringComparer.Ordinal).ToArray();
        var key = await ApiKeys.IssueAsync(log.Connection, request.Name!.Trim(), scopes, log.Transaction, actor.Id);
        await log.AuditAsync("api_key.created", "api_key", key.Id.ToString(), null,
            new JsonObject { ["name"] = key.Name, ["scopes"] = new JsonArray([.. scopes.Select(s => JsonValue.Create(s))]) }.ToJsonString());
        await accounts.CommitAsync(ct);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Created($"/api/v1/admin/api-keys/{key.Id}", new ApiKeyCreated(key.Id, key.Name, scopes, key.Secret, DateTimeOffset.UtcNow));
    }
}

public static class ListApiKeys
{
    public static void Map(RouteGroupBuilder group) => group
        .MapGet("/api-keys", Handle)
        .WithName("ListApiKeys")
        .WithSummary("List API keys (never their secrets) with scopes and last use");

    private static async Task<ApiKeyList> Handle(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = await conn.QueryAsync<(Guid Id, string Name, string Prefix, string[] Scopes, DateTime CreatedAt, DateTime? LastUsedAt, DateTime? RevokedAt)>(
            "select id, name, prefix, scopes, created_at, last_used_at, revoked_at from api_keys order by created_at desc");
        return new ApiKeyList(rows.Select(r => new ApiKeyInfo(r.Id, r.Name, r.Prefix, r.Scopes, r.CreatedAt, r.LastUsedAt, r.RevokedAt)).ToList());
    }
}

public static class RevokeApiKey
{
    public static void Map(RouteGroupBuilder group) => group
        .MapDelete("/api-keys/{id:guid}", Handle)
        .WithName("RevokeApiKey")
        .WithSummary("Revoke an API key; it stops working at once")
        .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Results<NoContent, ProblemHttpResult>> Handle(Guid id, HttpContext http, AccountsDb accounts, CancellationToken ct)
    {
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

public sealed class CreateApiKeyRequestValidator : AbstractValidator<CreateApiKeyRequest>
{
    public CreateApiKeyRequestValidator()
    {
        RuleFor(r => r.Name).NotEmpty().WithMessage("Name the integration that will use the key.").MaximumLength(100)
            .Must(n => n is null || !n.Any(char.IsControl));
        RuleFor(r => r.Scopes).NotEmpty().WithMessage($"Give at least one scope: {string.Join(", ", Scopes.All)}.")
            .Must(s => s is null || s.All(Scopes.All.Contains)).WithMessage($"Scopes are {string.Join(", ", Scopes.All)}.");
    }
}
