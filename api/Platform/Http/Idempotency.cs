using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Platform.Http;

/// <summary>
/// Idempotency-Key with Stripe's semantics. The same key with the same request replays the stored
/// response; with a different request it is a 422; while the first request still runs it is a 409.
/// Responses are kept 24 hours. The record is written in the same transaction as the work, so a
/// response is stored exactly when its effects committed; a request that failed stores nothing and
/// may be retried with the same key.
/// A response that carries personal data (checkout's contact and addresses, a refund's order) is not stored: the
/// record keeps a reference instead (<see cref="Reference"/>: the id of what was created and, data-protected, the one
/// credential the answer carries that is kept nowhere else, such as an order's access token), and a replay rebuilds
/// the answer from the database and the person's vault. Other responses are stored whole, data-protected.
/// </summary>
public sealed class Idempotency(IDataProtectionProvider protection)
{
    public const string Header = "Idempotency-Key";
    public const int MaxKeyLength = 255;
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    private readonly IDataProtector _protector = protection.CreateProtector("Headless.Idempotency.v1");

    /// <summary>The request's key: null when absent; a 400 problem when malformed.</summary>
    public static (string? Key, ProblemHttpResult? Problem) Read(HttpContext http)
    {
        var values = http.Request.Headers[Header];
        if (values.Count == 0)
        {
            return (null, null);
        }
        var key = values.Count == 1 ? values[0]?.Trim() : null;
        if (string.IsNullOrEmpty(key) || key.Length > MaxKeyLength || key.Any(c => c < 0x21 || c > 0x7e))
        {
            return (null, Validation(Header, $"Send one key of 1 to {MaxKeyLength} visible ASCII characters, such as a UUID."));
        }
        return (key, null);
    }

    public static ProblemHttpResult Required() => Make(StatusCodes.Status400BadRequest, "idempotency-key-required", "Idempotency-Key header required",
        "Send an Idempotency-Key header (a fresh UUID per attempt; the same one when you retry), so a retry never creates a second one.",
        new Dictionary<string, string[]> { [Header] = ["Required."] });

    public static ProblemHttpResult InFlight() => Make(StatusCodes.Status409Conflict, "idempotency-in-flight", "A request with this key is still running",
        "Wait for the first request with this Idempotency-Key to finish, then retry to get its response.");

    public static ProblemHttpResult Mismatch() => Make(StatusCodes.Status422UnprocessableEntity, "idempotency-key-reused",
        "Idempotency-Key reused with a different request",
        "This key was used for a different request in the last 24 hours. Use a new key for a new request.");

    /// <summary>A stable fingerprint of what was asked: the operation, its route values and its body.</summary>
    public static byte[] Fingerprint<T>(string operation, string routeValues, T? body, JsonTypeInfo<T> type)
    {
        var json = body is null ? "null" : JsonSerializer.Serialize(body, type);
        return SHA256.HashData(Encoding.UTF8.GetBytes($"{operation}\n{routeValues}\n{json}"));
    }

    /// <summary>Holds the key for the rest of the transaction; false when another request holds it.</summary>
    public static Task<bool> TryLockAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string scope, string key) =>
        conn.ExecuteScalarAsync<bool>(LockSql, new { idemName = scope + "\n" + key }, tx);

    public async Task<Stored<T>?> FindAsync<T>(NpgsqlConnection conn, NpgsqlTransaction? tx, string scope, string key, JsonTypeInfo<T> type) =>
        Decode(await conn.QuerySingleOrDefaultAsync<Row>(FindSql, new { idemScope = scope, idemKey = key, idemRetention = Retention }, tx), type);

    public Task StoreAsync<T>(NpgsqlConnection conn, NpgsqlTransaction tx, string scope, string key, byte[] requestHash,
        int statusCode, string? location, T response, JsonTypeInfo<T> type) =>
        conn.ExecuteAsync(StoreSql, new
        {
            idemScope = scope,
            idemKey = key,
            idemHash = requestHash,
            idemStatus = statusCode,
            idemLocation = location,
            idemResponse = Protect(response, type),
        }, tx);

    /// <summary>Finds a record stored as a reference; a record an earlier release stored whole (response set, no
    /// reference) is read through <paramref name="earlierForm"/> and <paramref name="refer"/>.</summary>
    public async Task<Reference?> FindReferenceAsync<T>(NpgsqlConnection conn, NpgsqlTransaction? tx, string scope, string key,
        JsonTypeInfo<T> earlierForm, Func<T, (Guid Id, string? Secret)> refer) =>
        DecodeReference(await conn.QuerySingleOrDefaultAsync<Row>(FindSql, new { idemScope = scope, idemKey = key, idemRetention = Retention }, tx), earlierForm, refer);

    public Task StoreReferenceAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string scope, string key, byte[] requestHash,
        int statusCode, string? location, Guid resourceId, string? secret) =>
        conn.ExecuteAsync(StoreReferenceSql, new
        {
            idemScope = scope,
            idemKey = key,
            idemHash = requestHash,
            idemStatus = statusCode,
            idemLocation = location,
            idemResourceId = resourceId,
            idemSecret = secret is null ? null : ProtectSecret(secret),
        }, tx);

    // The SQL of the three steps, also batched with other statements by checkout (one round trip instead of
    // three). Parameters: @idemName (scope + "\n" + key), @idemScope, @idemKey, @idemRetention, @idemHash,
    // @idemStatus, @idemLocation, @idemResponse (stored whole) or @idemResourceId and @idemSecret (a reference).
    public const string LockSql = "select pg_try_advisory_xact_lock(hashtextextended(@idemName, 7));";

    public const string FindSql = """
        select request_hash, status_code, location, response, resource_id, secret from idempotency_keys
        where scope = @idemScope and key = @idemKey and created_at > now() - @idemRetention;
        """;

    public const string StoreSql = """
        insert into idempotency_keys (scope, key, request_hash, status_code, location, response)
        values (@idemScope, @idemKey, @idemHash, @idemStatus, @idemLocation, @idemResponse)
        on conflict (scope, key) do update set request_hash = excluded.request_hash, status_code = excluded.status_code,
            location = excluded.location, response = excluded.response, created_at = now();
        """;

    // Migration 0037 made response nullable: the release before it reads every record as a whole response.
    public const string StoreReferenceSql = """
        insert into idempotency_keys (scope, key, request_hash, status_code, location, resource_id, secret)
        values (@idemScope, @idemKey, @idemHash, @idemStatus, @idemLocation, @idemResourceId, @idemSecret)
        on conflict (scope, key) do update set request_hash = excluded.request_hash, status_code = excluded.status_code,
            location = excluded.location, response = null, resource_id = excluded.resource_id, secret = excluded.secret, created_at = now();
        """;

    public Stored<T>? Decode<T>(Row? row, JsonTypeInfo<T> type) =>
        row is null ? null : new Stored<T>(row.RequestHash, row.StatusCode, row.Location, Unprotect(row, type));

    public Reference? DecodeReference<T>(Row? row, JsonTypeInfo<T> earlierForm, Func<T, (Guid Id, string? Secret)> refer)
    {
        if (row is null)
        {
            return null;
        }
        var (id, secret) = row.ResourceId is { } resourceId
            ? (resourceId, row.Secret is null ? null : _protector.Unprotect(row.Secret))
            : refer(Unprotect(row, earlierForm));
        return new Reference(row.RequestHash, row.StatusCode, row.Location, id, secret);
    }

    /// <summary>A credential for a reference record (@idemSecret), data-protected.</summary>
    public string ProtectSecret(string secret) => _protector.Protect(secret);

    public string Protect<T>(T response, JsonTypeInfo<T> type) => _protector.Protect(JsonSerializer.Serialize(response, type));

    private T Unprotect<T>(Row row, JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(_protector.Unprotect(row.Response
            ?? throw new InvalidOperationException("This idempotency record is a reference: find it with FindReferenceAsync.")), type)!;

    public static Task<int> PurgeExpiredAsync(NpgsqlConnection conn) =>
        conn.ExecuteAsync("delete from idempotency_keys where created_at < now() - @retention", new { retention = Retention });

    /// <summary>Marks a response as a replay, as Stripe does.</summary>
    public static void MarkReplayed(HttpContext http) => http.Response.Headers["Idempotent-Replayed"] = "true";

    public sealed record Stored<T>(byte[] RequestHash, int StatusCode, string? Location, T Body)
    {
        public bool Matches(byte[] requestHash) => CryptographicOperations.FixedTimeEquals(RequestHash, requestHash);
    }

    /// <summary>A record kept as a reference: the answer is rebuilt from <paramref name="ResourceId"/>; Secret is the
    /// credential the answer carries that is stored nowhere else in plain (decrypted here; never log it).</summary>
    public sealed record Reference(byte[] RequestHash, int StatusCode, string? Location, Guid ResourceId, string? Secret)
    {
        public bool Matches(byte[] requestHash) => CryptographicOperations.FixedTimeEquals(RequestHash, requestHash);
    }

    public sealed record Row(byte[] RequestHash, int StatusCode, string? Location, string? Response, Guid? ResourceId, string? Secret);
}
