using System.Text.Json.Nodes;
using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Features.Webhooks.Admin;

public sealed class RedeliverWebhooks(NpgsqlDataSource db, WebhookSender sender)
    : Endpoint<RedeliverWebhooks.Request, Results<Accepted<RedeliveryResult>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/webhook-endpoints/{id:guid}/redelivery");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.Admin);
        Description(b => b.WithName("RedeliverWebhooks").WithTags("Admin webhooks")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound));
        Summary(s =>
        {
            s.Summary = "Send again every failed delivery of an endpoint whose event happened since a time";
            s.Description = "After fixing a receiver (and enabling the endpoint again): each failed delivery with `eventAt` at or after " +
                "`since` is made due now, keeping its webhook-id; they go out in event order per resource. The answer counts them. " +
                "The log (and so redelivery) reaches back 30 days.";
        });
    }

    public sealed class Request : JsonBody<RedeliverWebhooksRequest>
    {
        [RouteParam]
        public Guid Id { get; set; }
    }

    public sealed class Validator(IValidator<RedeliverWebhooksRequest> rules) : JsonBodyValidator<Request, RedeliverWebhooksRequest>(rules);

    public override async Task<Results<Accepted<RedeliveryResult>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (!await conn.ExecuteScalarAsync<bool>("select exists (select 1 from webhook_endpoints where id = @Id for update)", new { req.Id }, tx))
        {
            return Platform.Problems.Problems.NotFound($"No webhook endpoint has the id {req.Id}.");
        }
        var since = req.Body.Since!.Value.UtcDateTime;
        var queued = await conn.ExecuteAsync("""
            update webhook_deliveries set status = 'pending', next_attempt_at = now(), lease = null, updated_at = now()
            where endpoint_id = @Id and status = 'failed' and event_at >= @since
            """, new { req.Id, since }, tx);
        await new WriteLog(conn, tx, Actor.From(HttpContext)).AuditAsync("webhook_endpoint.redelivered", "webhook_endpoint", req.Id.ToString(), null,
            new JsonObject { ["since"] = req.Body.Since.Value, ["queued"] = queued }.ToJsonString());
        await tx.CommitAsync(ct);
        sender.Wake();
        return TypedResults.Accepted((string?)null, new RedeliveryResult(queued));
    }
}

public sealed class RedeliverWebhooksRequestValidator : AbstractValidator<RedeliverWebhooksRequest>
{
    public RedeliverWebhooksRequestValidator() =>
        RuleFor(r => r.Since).NotNull().WithMessage("since is required: the time (ISO 8601) from which failed deliveries are sent again.")
            .Must(s => s is null || s <= DateTimeOffset.UtcNow.AddMinutes(5)).WithMessage("since is in the future: nothing failed after it yet.");
}
