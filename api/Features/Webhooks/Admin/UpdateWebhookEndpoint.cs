using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Webhooks.Admin;

public sealed class UpdateWebhookEndpoint(NpgsqlDataSource db, WebhookSender sender)
    : Endpoint<UpdateWebhookEndpoint.Request, Results<Ok<WebhookEndpoint>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Put("/webhook-endpoints/{id:guid}");
        Group<AdminApi>();
        Options(b => b.WithMetadata(IfMatchRequired.Metadata));
        Policies(Platform.Security.Policies.Admin);
        Description(b => b.WithName("UpdateWebhookEndpoint").WithTags("Admin webhooks")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired));
        Summary(s =>
        {
            s.Summary = "Replace a webhook endpoint's URL, description, event types and enabled flag (If-Match required)";
            s.Description = "Send the ETag from GET in `If-Match`: a stale one is a 412 (reload, compare, apply again), none a 428. " +
                "Enabling an endpoint the platform disabled clears `disabledReason` and `failingSince`; deliveries still pending go out, " +
                "failed ones can be sent again with a redelivery. The URL rules are the create's.";
        });
    }

    public sealed class Request : JsonBody<UpdateWebhookEndpointRequest>
    {
        [RouteParam]
        public Guid Id { get; set; }
    }

    public sealed class Validator(IValidator<UpdateWebhookEndpointRequest> rules) : JsonBodyValidator<Request, UpdateWebhookEndpointRequest>(rules);

    public override async Task<Results<Ok<WebhookEndpoint>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (id, request, http) = (req.Id, req.Body, HttpContext);
        var ifMatch = Versions.ParseIfMatch(http.Request.Headers.IfMatch);
        if (ifMatch.IsMissing || ifMatch.IsInvalid)
        {
            return PreconditionRequired();
        }
        if (await WebhookEndpointStore.CheckUrlAsync(request.Url!, sender.AllowLocalReceivers, ct) is { } refused)
        {
            return Validation("url", refused);
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var before = await WebhookEndpointStore.LoadAsync(conn, id, tx, forUpdate: true);
        if (before is null)
        {
            return NotFound($"No webhook endpoint has the id {id}.");
        }
        if (before.Version != ifMatch.Version)
        {
            return PreconditionFailed($"The endpoint changed since you read it: it is at version {before.Version} ({Versions.ETag(before.Version)}). Reload it, compare, and apply your change again.");
        }
        var enabled = request.Enabled ?? true;
        await conn.ExecuteAsync("""
            update webhook_endpoints
            set url = @Url, description = @description, event_types = @types, enabled = @enabled,
                disabled_reason = case when @enabled then null else disabled_reason end,
                failing_since = case when @enabled and not enabled then null else failing_since end,
                version = version + 1, updated_at = now()
            where id = @id
            """, new { id, request.Url, description = request.Description?.Trim() ?? "", types = WebhookEndpointStore.Normalise(request.EventTypes!), enabled }, tx);
        var after = (await WebhookEndpointStore.LoadAsync(conn, id, tx))!;
        await WebhookEndpointStore.RecordAsync(new WriteLog(conn, tx, Actor.From(http)), "webhook_endpoint.updated", id, before, after);
        await tx.CommitAsync(ct);
        if (after.Enabled)
        {
            sender.Wake();
        }
        Versions.SetETag(http, after.Version);
        return TypedResults.Ok(after);
    }
}
