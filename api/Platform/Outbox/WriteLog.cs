using System.Diagnostics;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Dapper;
using Npgsql;

namespace Headless.Api.Platform.Outbox;

/// <summary>Who did a write, from where: stamped on every audit row.</summary>
public sealed record Actor(string Id, string? ClientIp, string? TraceId)
{
    /// <summary>"api-key:{id}" for machines, "user:{id}" for people, "anonymous" otherwise.</summary>
    public static Actor From(HttpContext http) => new(
        http.User.FindFirstValue(ClaimTypes.NameIdentifier) switch
        {
            null => "anonymous",
            var id when id.Contains(':', StringComparison.Ordinal) => id,
            var id => "user:" + id,
        },
        http.Connection.RemoteIpAddress?.ToString(),
        Activity.Current?.TraceId.ToString());

    public static Actor System(string name) => new("system:" + name, null, Activity.Current?.TraceId.ToString());
}

/// <summary>Appends outbox events and audit rows inside the caller's transaction, so they commit or
/// roll back together with the change they describe. Audit rows are chained by a trigger (migration 0009:
/// seq, prev_hash, hash); the client address is stored outside the hashed content so erasure can clear it.
/// No full client address is kept in the core database: only its network (/24 for IPv4, /48 for IPv6), which says
/// roughly where a write came from (an office, a provider) without naming the machine or the person behind it.</summary>
public sealed class WriteLog(NpgsqlConnection conn, NpgsqlTransaction tx, Actor actor)
{
    public NpgsqlConnection Connection => conn;
    public NpgsqlTransaction Transaction => tx;
    public Actor Actor => actor;

    /// <summary>The personal-data vaults, for writes that queue mail (its content is kept in the recipient's vault).</summary>
    public Vaults.PersonalDataVault? Vault { get; init; }

    public Task EventAsync(string topic, string aggregateType, string aggregateId, JsonObject? payload = null) =>
        conn.ExecuteAsync("""
            insert into outbox (topic, aggregate_type, aggregate_id, payload, trace_parent)
            values (@topic, @aggregateType, @aggregateId, @payload::jsonb, @traceParent)
            """, new { topic, aggregateType, aggregateId, payload = (payload ?? []).ToJsonString(), traceParent = Telemetry.TraceContext.Current }, tx);

    public Task AuditAsync(string action, string entityType, string entityId, string? beforeJson, string? afterJson) =>
        conn.ExecuteAsync("""
            insert into audit_log (actor, action, entity_type, entity_id, before, after, client_ip, trace_id)
            values (@actorId, @action, @entityType, @entityId, @beforeJson::jsonb, @afterJson::jsonb,
                    network(set_masklen(@clientIp::inet, case family(@clientIp::inet) when 4 then 24 else 48 end))::inet, @traceId)
            """, new { actorId = actor.Id, action, entityType, entityId, beforeJson, afterJson, clientIp = Unmapped(actor.ClientIp), traceId = actor.TraceId }, tx);

    // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d: kept as its IPv4 /24, not as the /48 every such address shares.
    private static string? Unmapped(string? ip) =>
        System.Net.IPAddress.TryParse(ip, out var address) && address.IsIPv4MappedToIPv6 ? address.MapToIPv4().ToString() : ip;

    /// <summary>An audit row with the entity before and after the write (null before a create, after a delete),
    /// serialised as the API shows it.</summary>
    public Task AuditAsync<T>(string action, string entityType, string entityId, T? before, T? after, JsonTypeInfo<T> type) where T : class =>
        AuditAsync(action, entityType, entityId,
            before is null ? null : JsonSerializer.Serialize(before, type), after is null ? null : JsonSerializer.Serialize(after, type));
}
