using System.Security.Cryptography;
using System.Text;
using Dapper;
using Npgsql;

namespace Headless.Api.Platform.Security;

public sealed record IssuedApiKey(Guid Id, string Name, string Secret);

public sealed record ApiKeyIdentity(Guid Id, string Name, string[] Scopes);

/// <summary>API keys for machines: 32 random bytes shown once, only their SHA-256 kept. A key of that
/// entropy needs no slow hash; the hash makes a leaked table useless.</summary>
public static class ApiKeys
{
    public const string Prefix = "hk_";

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    public static async Task<IssuedApiKey> IssueAsync(NpgsqlConnection conn, string name, string[] scopes, NpgsqlTransaction? tx = null, string? createdBy = null)
    {
        var secret = Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var id = Guid.CreateVersion7();
        await conn.ExecuteAsync("""
            insert into api_keys (id, name, prefix, key_hash, scopes, created_by) values (@id, @name, @prefix, @hash, @scopes, @createdBy)
            """, new { id, name, prefix = secret[..10], hash = Hash(secret), scopes, createdBy }, tx);
        return new IssuedApiKey(id, name, secret);
    }

    public static async Task<ApiKeyIdentity?> FindAsync(NpgsqlDataSource db, string secret)
    {
        if (!secret.StartsWith(Prefix, StringComparison.Ordinal) || secret.Length > 100)
        {
            return null;
        }
        await using var conn = await db.OpenConnectionAsync();
        // One round trip: the data-modifying CTE runs even though the select does not read it, and
        // touches last_used_at at most once a minute so busy keys do not write on every request.
        var row = await conn.QuerySingleOrDefaultAsync<(Guid Id, string Name, string[] Scopes)?>("""
            with hit as (
                select id, name, scopes, last_used_at from api_keys where key_hash = @hash and revoked_at is null
            ), touch as (
                update api_keys set last_used_at = now() from hit
                where api_keys.id = hit.id and (hit.last_used_at is null or hit.last_used_at < now() - interval '1 minute')
            )
            select id, name, scopes from hit
            """, new { hash = Hash(secret) });
        return row is { } r ? new ApiKeyIdentity(r.Id, r.Name, r.Scopes) : null;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>What a machine key may do. "admin" is everything under /api/v1/admin; "catalog" is the
/// catalog and inventory routes (for a PIM or ERP feed); "orders" is orders, shipping, refunds and
/// pricing rules (for a fulfilment or accounting system).</summary>
public static class Scopes
{
    public const string Admin = "admin";
    public const string Catalog = "catalog";
    public const string Orders = "orders";
    public static readonly string[] All = [Admin, Catalog, Orders];
}

public static class Policies
{
    /// <summary>Users, API keys, customer data: the admin role (with MFA) or an API key with the admin scope.</summary>
    public const string Admin = "admin";

    /// <summary>Handing out power: creating API keys and changing roles. Only the admin role, signed in with
    /// MFA; never an API key, so a leaked key cannot mint more keys or make someone admin.</summary>
    public const string AdminInPerson = "admin-in-person";

    /// <summary>Catalog and inventory: staff or admin users, or an API key with the catalog or admin scope.</summary>
    public const string CatalogStaff = "catalog-staff";

    /// <summary>Orders, refunds, shipping and pricing rules: staff or admin users, or an API key with the
    /// orders or admin scope.</summary>
    public const string OrderStaff = "order-staff";

    /// <summary>A signed-in person (cookie or bearer token), not a machine key.</summary>
    public const string SignedIn = "signed-in";
}
