using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
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
    /// <summary>The vaults, where a person's full client address goes (see <see cref="WriteLog"/>); set for request actors.</summary>
    public Vaults.PersonalDataVault? Vault { get; init; }

    /// <summary>The user behind "user:{id}": a person (a signed-in customer or staff user); null for API keys, systems and
    /// anonymous requests.</summary>
    public Guid? UserId => Id.StartsWith(UserPrefix, StringComparison.Ordinal) && Guid.TryParse(Id.AsSpan(UserPrefix.Length), out var id) ? id : null;

    public const string UserPrefix = "user:";

    /// <summary>"api-key:{id}" for machines, "user:{id}" for people, "anonymous" otherwise.</summary>
    public static Actor From(HttpContext http) => new(
        http.User.FindFirstValue(ClaimTypes.NameIdentifier) switch
        {
            null => "anonymous",
            var id when id.Contains(':', StringComparison.Ordinal) => id,
            var id => UserPrefix + id,
        },
        http.Connection.RemoteIpAddress?.ToString(),
        Activity.Current?.TraceId.ToString())
    {
        Vault = http.RequestServices.GetService<Vaults.PersonalDataVault>(),
    };

    public static Actor System(string name) => new("system:" + name, null, Activity.Current?.TraceId.ToString());
}

/// <summary>Appends outbox events and audit rows inside the caller's transaction, so they commit or
/// roll back together with the change they describe. Audit rows are chained by a trigger (migration 0009:
/// seq, prev_hash, hash); the client address is stored outside the hashed content so erasure can clear it.
/// No full client address is kept in the core database: only its network (/24 for IPv4, /48 for IPv6), which says
/// roughly where a write came from (an office, a provider) without naming the machine or the person behind it.
/// When the actor is a person (a signed-in customer or staff user), the full address is personal data of theirs and
/// goes to their vault, as the field audit_ip.&lt;client_ip_ref&gt;; the audit rows keep that ref (outside the hashed
/// content, like client_ip). One field per person and address, not per row: the process remembers the refs it has
/// put (per vault, bounded), so only a person's first write from an address costs a vault write (and a core read of
/// their person); the next ones, and every row of a bulk job, only name the ref. Anonymous actors (failed sign-ins) name no person
/// whose vault could hold it: they keep the network only. A vault that cannot take the address (down, another
/// region's person) does not fail the write: its rows keep the network only.</summary>
public sealed class WriteLog(NpgsqlConnection conn, NpgsqlTransaction tx, Actor actor)
{
    private bool _clientIpStored;
    private Guid? _clientIpRef;

    // (user, full address) → the ref already in that user's vault, per vault instance (tests run many hosts in one process).
    private static readonly ConditionalWeakTable<Vaults.PersonalDataVault, ConcurrentDictionary<(Guid UserId, string ClientIp), Guid>> StoredRefs = new();
    private const int MaxStoredRefs = 50_000;

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

    public async Task AuditAsync(string action, string entityType, string entityId, string? beforeJson, string? afterJson)
    {
        var clientIp = Unmapped(actor.ClientIp);
        var clientIpRef = await StoreClientIpAsync(clientIp);
        await conn.ExecuteAsync("""
            insert into audit_log (actor, action, entity_type, entity_id, before, after, client_ip, client_ip_ref, trace_id)
            values (@actorId, @action, @entityType, @entityId, @beforeJson::jsonb, @afterJson::jsonb,
                    network(set_masklen(@clientIp::inet, case family(@clientIp::inet) when 4 then 24 else 48 end))::inet, @clientIpRef, @traceId)
            """, new { actorId = actor.Id, action, entityType, entityId, beforeJson, afterJson, clientIp, clientIpRef, traceId = actor.TraceId }, tx);
    }

    /// <summary>The vault field of a person's full client address, named by its ref.</summary>
    public static string ClientIpField(Guid clientIpRef) => $"{ClientIpFieldPrefix}{clientIpRef:N}";

    public const string ClientIpFieldPrefix = "audit_ip.";

    /// <summary>Puts the person's full address in their vault, once per WriteLog; its ref, or null when it stays out.</summary>
    private async Task<Guid?> StoreClientIpAsync(string? clientIp)
    {
        if (_clientIpStored)
        {
            return _clientIpRef;
        }
        _clientIpStored = true;
        if (clientIp is null || actor.UserId is not { } userId || (Vault ?? actor.Vault) is not { } vault)
        {
            return null;
        }
        var stored = StoredRefs.GetOrCreateValue(vault);
        if (stored.TryGetValue((userId, clientIp), out var known))
        {
            return _clientIpRef = known;
        }
        var person = await conn.QuerySingleOrDefaultAsync<(Guid? Id, string? Region)>(
            "select person_id, person_region from users where id = @userId", new { userId }, tx);
        if (person is not { Id: { } personId, Region: { } region })
        {
            return null;
        }
        var clientIpRef = Guid.CreateVersion7();
        try
        {
            await vault.PutAsync(new Vaults.PersonRef(personId, region), new Dictionary<string, string?> { [ClientIpField(clientIpRef)] = clientIp });
        }
        catch (Exception e) when (e is Vaults.VaultUnavailableException or Vaults.WrongRegionException or Vaults.PersonNotFoundException)
        {
            return null;
        }
        if (stored.Count >= MaxStoredRefs)
        {
            stored.Clear();
        }
        stored[(userId, clientIp)] = clientIpRef;
        return _clientIpRef = clientIpRef;
    }

    // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d: kept as its IPv4 /24, not as the /48 every such address shares.
    private static string? Unmapped(string? ip) =>
        System.Net.IPAddress.TryParse(ip, out var address) && address.IsIPv4MappedToIPv6 ? address.MapToIPv4().ToString() : ip;

    /// <summary>An audit row with the entity before and after the write (null before a create, after a delete),
    /// serialised as the API shows it.</summary>
    public Task AuditAsync<T>(string action, string entityType, string entityId, T? before, T? after, JsonTypeInfo<T> type) where T : class =>
        AuditAsync(action, entityType, entityId,
            before is null ? null : JsonSerializer.Serialize(before, type), after is null ? null : JsonSerializer.Serialize(after, type));
}
