using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Headless.Api.Features.Webhooks.Admin;

public sealed class RotateWebhookSecret(NpgsqlDataSource db, WebhookSecrets secrets, IOptions<WebhooksOptions> options)
    : Endpoint<RotateWebhookSecret.Request, Results<Ok<RotatedWebhookSecret>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/webhook-endpoints/{id:guid}/secret-rotation");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.Admin);
        RequestBinder(new RequestBinder<Request>(BindingSource.RouteValues));
        Options(b => b.WithMetadata(IfMatchRequired.Metadata));
        Description(b => b.WithName("RotateWebhookSecret").WithTags("Admin webhooks").ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed).ProducesProblem(StatusCodes.Status428PreconditionRequired));
        Summary(s =>
        {
            s.Summary = "Issue a new signing secret, shown this once; the old one keeps signing during an overlap";
            s.Description = "Until `endpoint.previousSecretUntil` (24 hours by default, `Headless:Webhooks:SecretOverlap`) every delivery carries " +
                "two signatures in `webhook-signature`, one per secret, so receivers keep verifying while they switch to the new secret. " +
                "Rotating again during an overlap drops the oldest secret at once, so a rotation needs `If-Match` with the endpoint's " +
                "current ETag: two staff rotating at once would otherwise retire a secret one of them just installed.";
        });
    }

    public sealed class Request
    {
        [RouteParam]
        public Guid Id { get; set; }
    }

    public override async Task<Results<Ok<RotatedWebhookSecret>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var ifMatch = Versions.ParseIfMatch(HttpContext.Request.Headers.IfMatch);
        if (ifMatch.IsMissing || ifMatch.IsInvalid)
        {
            return Platform.Problems.Problems.PreconditionRequired();
        }
        var secret = WebhookSecrets.New();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var before = await WebhookEndpointStore.LoadAsync(conn, req.Id, tx, forUpdate: true);
        if (before is null)
        {
            return Platform.Problems.Problems.NotFound($"No webhook endpoint has the id {req.Id}.");
        }
        if (before.Version != ifMatch.Version)
        {
            return Platform.Problems.Problems.PreconditionFailed($"The endpoint changed since you read it: it is at version {before.Version} " +
                $"({Versions.ETag(before.Version)}). Reload it and rotate again if it still needs a new secret.");
        }
        await conn.ExecuteAsync("""
            update webhook_endpoints
            set previous_secret = secret, previous_secret_until = now() + @SecretOverlap, secret = @secret,
                version = version + 1, updated_at = now()
            where id = @Id
            """, new { req.Id, options.Value.SecretOverlap, secret = secrets.Protect(secret) }, tx);
        var after = (await WebhookEndpointStore.LoadAsync(conn, req.Id, tx))!;
        await WebhookEndpointStore.RecordAsync(new WriteLog(conn, tx, Actor.From(HttpContext)), "webhook_endpoint.secret_rotated", req.Id, before, after);
        await tx.CommitAsync(ct);
        Versions.SetETag(HttpContext, after.Version);
        HttpContext.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new RotatedWebhookSecret(after, secret));
    }
}
