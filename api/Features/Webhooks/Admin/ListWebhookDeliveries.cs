using System.Globalization;
using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Webhooks.Admin;

public sealed class ListWebhookDeliveries(NpgsqlDataSource db)
    : Endpoint<ListWebhookDeliveries.Request, Results<Ok<WebhookDeliveryPage>, ProblemHttpResult>>
{
    private static readonly string[] Statuses = ["pending", "succeeded", "failed"];

    public override void Configure()
    {
        Get("/webhook-endpoints/{id:guid}/deliveries");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.Admin);
        Description(b => b.WithName("ListWebhookDeliveries").WithTags("Admin webhooks")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound));
        Summary(s =>
        {
            s.Summary = "The delivery log of a webhook endpoint, newest event first, each with every attempt";
            s.Description = "One delivery per event sent to this endpoint: `pending` (due at `nextAttemptAt`), `succeeded`, or `failed` " +
                "(retries exhausted after three days, or the endpoint answered 410). `attemptLog` lists each try: the receiver's status, " +
                "latency, the first 1 KB of its answer, or the error. Filter with `status`; pass `nextCursor` back as `cursor`; `limit` is " +
                "1-100 (default 20). Kept 30 days.";
        });
    }

    public sealed class Request
    {
        [RouteParam]
        public Guid Id { get; set; }
        /// <summary>Only deliveries in this status: pending, succeeded or failed.</summary>
        public string? Status { get; set; }
        /// <summary>The nextCursor of the previous page.</summary>
        public string? Cursor { get; set; }
        /// <summary>Page size, 1-100, default 20.</summary>
        public int? Limit { get; set; }
    }

    public override async Task<Results<Ok<WebhookDeliveryPage>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var take = req.Limit ?? 20;
        if (take is < 1 or > 100)
        {
            return Validation("limit", "Use a limit from 1 to 100.");
        }
        if (req.Status is { } status && !Statuses.Contains(status))
        {
            return Validation("status", "Use pending, succeeded or failed.");
        }
        var before = long.MaxValue;
        if (req.Cursor is { } cursor && !long.TryParse(WebhookEndpointStore.ParseCursor("delivery", cursor), NumberStyles.None, CultureInfo.InvariantCulture, out before))
        {
            return Validation("cursor", "This cursor is not one the API gave out. Start again without it.");
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        if (!await conn.ExecuteScalarAsync<bool>("select exists (select 1 from webhook_endpoints where id = @Id)", new { req.Id }))
        {
            return NotFound($"No webhook endpoint has the id {req.Id}.");
        }
        var rows = (await conn.QueryAsync<DeliveryRow>(new CommandDefinition("""
            select id as Id, seq as Seq, event_type as EventType, resource_id as ResourceId, event_at as EventAt, status as Status,
                   attempts as Attempts, next_attempt_at as NextAttemptAt, last_status as LastStatus, last_error as LastError, payload as Payload
            from webhook_deliveries
            where endpoint_id = @Id and seq < @before and (@Status::text is null or status = @Status)
            order by seq desc
            limit @limit
            """, new { req.Id, before, req.Status, limit = take + 1 }, cancellationToken: ct))).AsList();
        var page = rows.Take(take).ToList();
        var ids = page.Select(r => r.Id).ToArray();
        var attempts = (await conn.QueryAsync<AttemptRow>(new CommandDefinition("""
            select delivery_id as DeliveryId, attempt as Attempt, at as At, status_code as StatusCode, latency_ms as LatencyMs,
                   response_snippet as ResponseSnippet, error as Error
            from webhook_attempts where delivery_id = any(@ids) order by id
            """, new { ids }, cancellationToken: ct))).ToLookup(a => a.DeliveryId);
        var items = page.Select(r => new WebhookDelivery(r.Id, r.EventType, r.ResourceId, WebhookEndpointStore.Utc(r.EventAt), r.Status, r.Attempts,
            r.Status == "pending" ? WebhookEndpointStore.Utc(r.NextAttemptAt) : null, r.LastStatus, r.LastError, r.Payload,
            attempts[r.Id].Select(a => new WebhookAttempt(a.Attempt, WebhookEndpointStore.Utc(a.At), a.StatusCode, a.LatencyMs, a.ResponseSnippet, a.Error)).ToList()))
            .ToList();
        var next = rows.Count > take ? WebhookEndpointStore.Cursor("delivery", page[^1].Seq.ToString(CultureInfo.InvariantCulture)) : null;
        HttpContext.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new WebhookDeliveryPage(items, next));
    }

    private sealed class DeliveryRow
    {
        public Guid Id { get; init; }
        public long Seq { get; init; }
        public string EventType { get; init; } = "";
        public string ResourceId { get; init; } = "";
        public DateTime EventAt { get; init; }
        public string Status { get; init; } = "";
        public int Attempts { get; init; }
        public DateTime NextAttemptAt { get; init; }
        public int? LastStatus { get; init; }
        public string? LastError { get; init; }
        public string Payload { get; init; } = "";
    }

    private sealed class AttemptRow
    {
        public Guid DeliveryId { get; init; }
        public int Attempt { get; init; }
        public DateTime At { get; init; }
        public int? StatusCode { get; init; }
        public int LatencyMs { get; init; }
        public string? ResponseSnippet { get; init; }
        public string? Error { get; init; }
    }
}
