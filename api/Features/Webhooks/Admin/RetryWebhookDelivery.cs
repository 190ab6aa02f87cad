using System.Text.Json.Nodes;
using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Features.Webhooks.Admin;

public sealed class RetryWebhookDelivery(NpgsqlDataSource db, WebhookSender sender)
    : Endpoint<RetryWebhookDelivery.Request, Results<Accepted<RedeliveryResult>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/webhook-endpoints/{id:guid}/deliveries/{deliveryId:guid}/retry");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.Admin);
        RequestBinder(new RequestBinder<Request>(BindingSource.RouteValues));
        Description(b => b.WithName("RetryWebhookDelivery").WithTags("Admin webhooks")
            .ProducesProblem(StatusCodes.Status404NotFound));
        Summary(s =>
        {
            s.Summary = "Send one delivery again now, with the same webhook-id";
            s.Description = "For a failed or succeeded delivery (a receiver that lost it); a pending one is just made due now. " +
                "It goes out once the endpoint is enabled, after any earlier pending event of the same resource.";
        });
    }

    public sealed class Request
    {
        [RouteParam]
        public Guid Id { get; set; }

        [RouteParam]
        public Guid DeliveryId { get; set; }
    }

    public override async Task<Results<Accepted<RedeliveryResult>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var queued = await conn.ExecuteAsync("""
            update webhook_deliveries set status = 'pending', next_attempt_at = now(), lease = null, updated_at = now()
            where id = @DeliveryId and endpoint_id = @Id
            """, new { req.Id, req.DeliveryId }, tx);
        if (queued == 0)
        {
            return Platform.Problems.Problems.NotFound($"The webhook endpoint {req.Id} has no delivery {req.DeliveryId}.");
        }
        await new WriteLog(conn, tx, Actor.From(HttpContext)).AuditAsync("webhook_delivery.retried", "webhook_endpoint", req.Id.ToString(), null,
            new JsonObject { ["delivery"] = req.DeliveryId.ToString() }.ToJsonString());
        await tx.CommitAsync(ct);
        sender.Wake();
        return TypedResults.Accepted((string?)null, new RedeliveryResult(1));
    }
}
