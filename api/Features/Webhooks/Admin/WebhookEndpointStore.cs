using System.Text;
using Dapper;
using FluentValidation;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Npgsql;

namespace Headless.Api.Features.Webhooks.Admin;

/// <summary>Reading and recording webhook endpoints, shared by the admin use cases.</summary>
public static class WebhookEndpointStore
{
    public static readonly string EventTypesRequired = "Subscribe to at least one event type: " + string.Join(", ", WebhookEventTypes.All) + ".";

    public static readonly string UnknownEventType = "Unknown event type. Use one of " + string.Join(", ", WebhookEventTypes.All) + ".";

    public const string Columns = """
        id as Id, url as Url, description as Description, event_types as EventTypes, enabled as Enabled,
        disabled_reason as DisabledReason, failing_since as FailingSince, previous_secret_until as PreviousSecretUntil,
        version as Version, created_at as CreatedAt, updated_at as UpdatedAt
        """;

    public static async Task<WebhookEndpoint?> LoadAsync(NpgsqlConnection conn, Guid id, NpgsqlTransaction? tx = null, bool forUpdate = false)
    {
        var row = await conn.QuerySingleOrDefaultAsync<Row>(
            $"select {Columns} from webhook_endpoints where id = @id{(forUpdate ? " for update" : "")}", new { id }, tx);
        return row?.ToContract();
    }

    /// <summary>The audit row and the outbox event of a staff change to an endpoint (never its secret).</summary>
    public static async Task RecordAsync(WriteLog log, string action, Guid id, WebhookEndpoint? before, WebhookEndpoint? after)
    {
        await log.EventAsync(action, "webhook_endpoint", id.ToString());
        await log.AuditAsync(action, "webhook_endpoint", id.ToString(), before, after, ApiJsonContext.Default.WebhookEndpoint);
    }

    /// <summary>Subscribed types without duplicates, in the order of <see cref="WebhookEventTypes.All"/>.</summary>
    public static string[] Normalise(IEnumerable<string> types) => WebhookEventTypes.All.Where(types.Contains).ToArray();

    /// <summary>Why the URL is refused (checked on its text, then on what its host resolves to now), or null.</summary>
    public static async Task<string?> CheckUrlAsync(string url, bool allowLocal, CancellationToken ct) =>
        WebhookAddressRules.CheckUrl(url, allowLocal) ?? await WebhookAddressRules.CheckResolvedAsync(url, allowLocal, ct);

    public static string Cursor(string kind, string value) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(kind + ":" + value)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string? ParseCursor(string kind, string cursor)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(cursor.Replace('-', '+').Replace('_', '/').PadRight((cursor.Length + 3) / 4 * 4, '=')));
            return text.StartsWith(kind + ":", StringComparison.Ordinal) ? text[(kind.Length + 1)..] : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));

    public static DateTimeOffset? Utc(DateTime? t) => t is { } v ? Utc(v) : null;

    public sealed class Row
    {
        public Guid Id { get; init; }
        public string Url { get; init; } = "";
        public string Description { get; init; } = "";
        public string[] EventTypes { get; init; } = [];
        public bool Enabled { get; init; }
        public string? DisabledReason { get; init; }
        public DateTime? FailingSince { get; init; }
        public DateTime? PreviousSecretUntil { get; init; }
        public int Version { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }

        public WebhookEndpoint ToContract() => new(Id, Url, Description, EventTypes, Enabled, DisabledReason,
            Utc(FailingSince), Utc(PreviousSecretUntil), Version, Utc(CreatedAt), Utc(UpdatedAt));
    }
}

public sealed class CreateWebhookEndpointRequestValidator : AbstractValidator<CreateWebhookEndpointRequest>
{
    public CreateWebhookEndpointRequestValidator()
    {
        RuleFor(r => r.Url).NotEmpty().WithMessage("url is required.").MaximumLength(2000);
        RuleFor(r => r.Description).MaximumLength(500);
        RuleFor(r => r.EventTypes).NotEmpty().WithMessage(WebhookEndpointStore.EventTypesRequired);
        RuleForEach(r => r.EventTypes).Must(WebhookEventTypes.All.Contains).WithMessage(WebhookEndpointStore.UnknownEventType);
    }
}

public sealed class UpdateWebhookEndpointRequestValidator : AbstractValidator<UpdateWebhookEndpointRequest>
{
    public UpdateWebhookEndpointRequestValidator()
    {
        RuleFor(r => r.Url).NotEmpty().WithMessage("url is required.").MaximumLength(2000);
        RuleFor(r => r.Description).MaximumLength(500);
        RuleFor(r => r.EventTypes).NotEmpty().WithMessage(WebhookEndpointStore.EventTypesRequired);
        RuleForEach(r => r.EventTypes).Must(WebhookEventTypes.All.Contains).WithMessage(WebhookEndpointStore.UnknownEventType);
    }
}
