using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Webhooks.Admin;

public sealed class ListWebhookEndpoints(NpgsqlDataSource db) : Endpoint<ListWebhookEndpoints.Request, Results<Ok<WebhookEndpointPage>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/webhook-endpoints");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.Admin);
        Description(b => b.WithName("ListWebhookEndpoints").WithTags("Admin webhooks").ProducesValidationProblem());
        Summary(s =>
        {
            s.Summary = "List webhook endpoints, oldest first (never their secrets)";
            s.Description = "Pass `nextCursor` back as `cursor` for the next page; `limit` is 1-100 (default 20).";
        });
    }

    public sealed class Request
    {
        /// <summary>The nextCursor of the previous page.</summary>
        public string? Cursor { get; set; }
        /// <summary>Page size, 1-100, default 20.</summary>
        public int? Limit { get; set; }
    }

    public override async Task<Results<Ok<WebhookEndpointPage>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var take = req.Limit ?? 20;
        if (take is < 1 or > 100)
        {
            return Validation("limit", "Use a limit from 1 to 100.");
        }
        var after = Guid.Empty;
        if (req.Cursor is { } cursor && !Guid.TryParseExact(WebhookEndpointStore.ParseCursor("endpoint", cursor), "N", out after))
        {
            return Validation("cursor", "This cursor is not one the API gave out. Start again without it.");
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = (await conn.QueryAsync<WebhookEndpointStore.Row>(new CommandDefinition(
            $"select {WebhookEndpointStore.Columns} from webhook_endpoints where id > @after order by id limit @limit",
            new { after, limit = take + 1 }, cancellationToken: ct))).Select(r => r.ToContract()).ToList();
        var next = rows.Count > take ? WebhookEndpointStore.Cursor("endpoint", rows[take - 1].Id.ToString("N")) : null;
        HttpContext.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new WebhookEndpointPage(rows.Take(take).ToList(), next));
    }
}
