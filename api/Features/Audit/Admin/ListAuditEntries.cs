using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Audit.Admin;

public sealed class ListAuditEntries(NpgsqlDataSource db) : Endpoint<ListAuditEntries.Request, Results<Ok<AuditPage>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/audit");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.Admin);
        Description(b => b.WithName("ListAuditEntries").WithTags("Admin audit")
            .ProducesValidationProblem());
        Summary(s =>
        {
            s.Summary = "List audit entries, newest first, by actor, action, entity and time";
            s.Description = "Every staff and admin write and every account security event, with the entity before and after. " +
                "All filters are exact matches and combine. Pass `nextCursor` back as `cursor` for the next page. Client IPs are not listed.";
        });
    }

    public sealed class Request
    {
        /// <summary>Who acted, exactly as recorded: user:{id}, api-key:{id} or system:{name}.</summary>
        public string? Actor { get; set; }
        /// <summary>An action such as order.shipped or tax-rate.set.</summary>
        public string? Action { get; set; }
        /// <summary>An entity type such as order, product, tax-rate or user.</summary>
        public string? EntityType { get; set; }
        /// <summary>An entity id, as recorded (a UUID, a SKU, a code or country:region).</summary>
        public string? EntityId { get; set; }
        /// <summary>Only entries at or after this time (ISO 8601).</summary>
        public DateTimeOffset? From { get; set; }
        /// <summary>Only entries before this time (ISO 8601).</summary>
        public DateTimeOffset? To { get; set; }
        /// <summary>The nextCursor of the previous page.</summary>
        public string? Cursor { get; set; }
        /// <summary>Page size, 1-100, default 50.</summary>
        public int? Limit { get; set; }
    }

    public override async Task<Results<Ok<AuditPage>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (actor, action, entityType, entityId, from, to) = (req.Actor, req.Action, req.EntityType, req.EntityId, req.From, req.To);
        var take = req.Limit ?? 50;
        if (take is < 1 or > 100)
        {
            return Validation("limit", "Use a limit from 1 to 100.");
        }
        foreach (var (field, value) in new[] { ("actor", actor), ("action", action), ("entityType", entityType), ("entityId", entityId) })
        {
            if (value?.Length > 200)
            {
                return Validation(field, "At most 200 characters.");
            }
        }
        if (from is not null && to is not null && from >= to)
        {
            return Validation("to", "to must be after from.");
        }
        long? beforeSeq = null;
        if (req.Cursor is { } cursor)
        {
            beforeSeq = ParseCursor(cursor);
            if (beforeSeq is null)
            {
                return Validation("cursor", "This cursor is not one the API gave out. Start again without it.");
            }
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = (await conn.QueryAsync<Row>("""
            select seq, at, actor, action, entity_type as entitytype, entity_id as entityid, before::text as before, after::text as after,
                   trace_id as traceid, hash
            from audit_log
            where (@actor::text is null or actor = @actor)
              and (@action::text is null or action = @action)
              and (@entityType::text is null or entity_type = @entityType)
              and (@entityId::text is null or entity_id = @entityId)
              and (@from::timestamptz is null or at >= @from)
              and (@to::timestamptz is null or at < @to)
              and (@beforeSeq::bigint is null or seq < @beforeSeq)
            order by seq desc
            limit @take
            """, new { actor, action, entityType, entityId, from = from?.UtcDateTime, to = to?.UtcDateTime, beforeSeq, take = take + 1 })).ToList();
        var items = rows.Take(take).Select(r => new AuditEntry(r.Seq, new DateTimeOffset(DateTime.SpecifyKind(r.At, DateTimeKind.Utc)), r.Actor, r.Action,
            r.EntityType, r.EntityId, Parse(r.Before), Parse(r.After), r.TraceId, Convert.ToHexStringLower(r.Hash))).ToList();
        var next = rows.Count > take ? Cursor(rows[take - 1].Seq) : null;
        return TypedResults.Ok(new AuditPage(items, next));
    }

    private static JsonElement? Parse(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();

    private static string Cursor(long seq) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes("audit:" + seq.ToString(CultureInfo.InvariantCulture))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static long? ParseCursor(string cursor)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(cursor.Replace('-', '+').Replace('_', '/').PadRight((cursor.Length + 3) / 4 * 4, '=')));
            return text.StartsWith("audit:", StringComparison.Ordinal) && long.TryParse(text[6..], NumberStyles.None, CultureInfo.InvariantCulture, out var seq) && seq > 0
                ? seq : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private sealed class Row
    {
        public long Seq { get; init; }
        public DateTime At { get; init; }
        public string Actor { get; init; } = "";
        public string Action { get; init; } = "";
        public string EntityType { get; init; } = "";
        public string EntityId { get; init; } = "";
        public string? Before { get; init; }
        public string? After { get; init; }
        public string? TraceId { get; init; }
        public byte[] Hash { get; init; } = [];
    }
}
