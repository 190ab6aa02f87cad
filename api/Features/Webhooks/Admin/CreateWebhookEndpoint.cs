using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Webhooks.Admin;

public sealed class CreateWebhookEndpoint(NpgsqlDataSource db, WebhookSecrets secrets, WebhookSender sender)
    : Endpoint<CreateWebhookEndpoint.Request, Results<Created<CreatedWebhookEndpoint>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/webhook-endpoints");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.Admin);
        Description(b => b.WithName("CreateWebhookEndpoint").WithTags("Admin webhooks").ProducesValidationProblem());
        Summary(s =>
        {
            s.Summary = "Subscribe a URL to events; the signing secret is in the answer, this once";
            s.Description = "Events of the chosen types that happen from now on are POSTed to the URL, signed to the Standard Webhooks " +
                "specification with the returned `secret` (`whsec_…`): store it now, it is never shown again (rotate it to get a new one). " +
                "Event types: " + string.Join(", ", WebhookEventTypes.All) + "; an unknown one is a 400. " +
                "In production the URL must be https and its host must not be (or resolve to) a private, loopback, link-local, CGNAT, " +
                "metadata or IPv6 unique-local address; in Development http and loopback are allowed. `enabled` defaults to true.";
        });
    }

    public sealed class Request : JsonBody<CreateWebhookEndpointRequest>;

    public sealed class Validator(IValidator<CreateWebhookEndpointRequest> rules) : JsonBodyValidator<Request, CreateWebhookEndpointRequest>(rules);

    public override async Task<Results<Created<CreatedWebhookEndpoint>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = (req.Body, HttpContext);
        if (await WebhookEndpointStore.CheckUrlAsync(request.Url!, sender.AllowLocalReceivers, ct) is { } refused)
        {
            return Validation("url", refused);
        }
        var id = Guid.CreateVersion7();
        var secret = WebhookSecrets.New();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await conn.ExecuteAsync("""
            insert into webhook_endpoints (id, url, description, event_types, enabled, secret)
            values (@id, @Url, @description, @types, @enabled, @secret)
            """, new
        {
            id,
            request.Url,
            description = request.Description?.Trim() ?? "",
            types = WebhookEndpointStore.Normalise(request.EventTypes!),
            enabled = request.Enabled ?? true,
            secret = secrets.Protect(secret),
        }, tx);
        var endpoint = (await WebhookEndpointStore.LoadAsync(conn, id, tx))!;
        await WebhookEndpointStore.RecordAsync(new WriteLog(conn, tx, Actor.From(http)), "webhook_endpoint.created", id, null, endpoint);
        await tx.CommitAsync(ct);
        Platform.Http.Versions.SetETag(http, endpoint.Version);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Created($"/api/v1/admin/webhook-endpoints/{id}", new CreatedWebhookEndpoint(endpoint, secret));
    }
}
