using System.Text.Json.Nodes;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Security;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Headless.Api.Features.Accounts.Admin;

public sealed class CreateApiKey(AccountsDb accounts) : Endpoint<CreateApiKey.Request, Created<ApiKeyCreated>>
{
    public override void Configure()
    {
        Post("/api-keys");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.AdminInPerson);
        Description(b => b.WithName("CreateApiKey").WithTags("Admin accounts"));
        Summary(s =>
        {
            s.Summary = "Create an API key for an integration; the secret is in this response only, we keep just its hash";
            s.Description = "Only an admin signed in with two-factor authentication (bearer token or cookie) may create keys: an API key, whatever its scopes, gets 403.";
        });
    }

    public sealed class Request : JsonBody<CreateApiKeyRequest>;

    public sealed class Validator(IValidator<CreateApiKeyRequest> rules) : JsonBodyValidator<Request, CreateApiKeyRequest>(rules);

    public override async Task<Created<ApiKeyCreated>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = (req.Body, HttpContext);
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
