using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Webhooks.Admin;

public sealed class DeleteWebhookEndpoint(NpgsqlDataSource db) : Endpoint<DeleteWebhookEndpoint.Request, Results<NoContent, ProblemHttpResult>>
{
    public override void Configure()
    {
        Delete("/webhook-endpoints/{id:guid}");
        Group<AdminApi>();
        Options(b => b.WithMetadata(IfMatchRequired.Metadata));
        Policies(Platform.Security.Policies.Admin);
        RequestBinder(new RequestBinder<Request>(BindingSource.RouteValues | BindingSource.Headers));
        Description(b => b.WithName("DeleteWebhookEndpoint").WithTags("Admin webhooks")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired));
        Summary(s =>
        {
            s.Summary = "Delete a webhook endpoint with its delivery log (If-Match required)";
            s.Description = "Nothing more is sent to it, pending retries included. To pause deliveries instead, set `enabled` to false.";
        });
    }

    public sealed class Request
    {
        public Guid Id { get; set; }

        /// <summary>The endpoint's ETag from GET, e.g. "v3".</summary>
        [FromHeader("If-Match", IsRequired = false)]
        public string? IfMatch { get; set; }
    }

    public override async Task<Results<NoContent, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var expected = Versions.ParseIfMatch(req.IfMatch);
        if (expected.IsMissing || expected.IsInvalid)
        {
            return PreconditionRequired();
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var before = await WebhookEndpointStore.LoadAsync(conn, req.Id, tx, forUpdate: true);
        if (before is null)
        {
            return NotFound($"No webhook endpoint has the id {req.Id}.");
        }
        if (before.Version != expected.Version)
        {
            return PreconditionFailed($"The endpoint changed since you read it: it is at version {before.Version} ({Versions.ETag(before.Version)}). Reload it and decide again.");
        }
        await conn.ExecuteAsync("delete from webhook_endpoints where id = @Id", new { req.Id }, tx);
        await WebhookEndpointStore.RecordAsync(new WriteLog(conn, tx, Actor.From(HttpContext)), "webhook_endpoint.deleted", req.Id, before, null);
        await tx.CommitAsync(ct);
        return TypedResults.NoContent();
    }
}
