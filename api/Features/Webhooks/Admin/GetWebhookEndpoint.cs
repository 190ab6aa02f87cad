using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Contracts.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Features.Webhooks.Admin;

public sealed class GetWebhookEndpoint(NpgsqlDataSource db) : Endpoint<GetWebhookEndpoint.Request, Results<Ok<WebhookEndpoint>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/webhook-endpoints/{id:guid}");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.Admin);
        RequestBinder(new RequestBinder<Request>(BindingSource.RouteValues));
        Description(b => b.WithName("GetWebhookEndpoint").WithTags("Admin webhooks").ProducesProblem(StatusCodes.Status404NotFound));
        Summary(s =>
        {
            s.Summary = "Get a webhook endpoint (never its secret), with its ETag for updates";
            s.Description = "`disabledReason` says why the platform disabled it (`gone`: it answered 410; `failing`: every delivery failed " +
                "for three days); `failingSince` is the first failure since the last success; `previousSecretUntil` the end of a rotation's overlap.";
        });
    }

    public sealed class Request
    {
        [RouteParam]
        public Guid Id { get; set; }
    }

    public override async Task<Results<Ok<WebhookEndpoint>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        if (await WebhookEndpointStore.LoadAsync(conn, req.Id) is not { } endpoint)
        {
            return Platform.Problems.Problems.NotFound($"No webhook endpoint has the id {req.Id}.");
        }
        Versions.SetETag(HttpContext, endpoint.Version);
        HttpContext.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(endpoint);
    }
}
