using System.Security.Cryptography;
using System.Text;
using Dapper;
using Npgsql;

namespace Headless.Api.Platform.Security;

public sealed record IssuedApiKey(Guid Id, string Name, string Secret);

public sealed record ApiKeyIdentity(Guid Id, string Name, string[] Roles);

/// <summary>API keys for machines: 32 random bytes shown once, only their SHA-256 kept. A key of that
/// entropy needs no slow hash; the hash makes a leaked table useless.</summary>
public static class ApiKeys
{
    public const string Prefix = "hk_";

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    public static async Task<IssuedApiKey> IssueAsync(NpgsqlConnection conn, string name, string[] roles, NpgsqlTransaction? tx = null)
    {
        var secret = Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var id = Guid.CreateVersion7();
        await conn.ExecuteAsync("""
            insert into api_keys (id, name, prefix, key_hash, roles) values (@id, @name, @prefix, @hash, @roles)
            """, new { id, name, prefix = secret[..8], hash = Hash(secret), roles }, tx);
        return new IssuedApiKey(id, name, secret);
    }

    public static async Task<ApiKeyIdentity?> FindAsync(NpgsqlDataSource db, string secret)
    {
        if (!secret.StartsWith(Prefix, StringComparison.Ordinal) || secret.Length > 100)
        {
            return null;
        }
        await using var conn = await db.OpenConnectionAsync();
        var row = await conn.QuerySingleOrDefaultAsync<(Guid Id, string Name, string[] Roles)?>("""
            update api_keys set last_used_at = now()
            where key_hash = @hash and revoked_at is null
              and (last_used_at is null or last_used_at < now() - interval '1 minute')
            returning id, name, roles
            """, new { hash = Hash(secret) });
        row ??= await conn.QuerySingleOrDefaultAsync<(Guid Id, string Name, string[] Roles)?>(
            "select id, name, roles from api_keys where key_hash = @hash and revoked_at is null", new { hash = Hash(secret) });
        return row is { } r ? new ApiKeyIdentity(r.Id, r.Name, r.Roles) : null;
    }

    /// <summary>Creates the first admin key when no live admin key exists. Returns it so the caller can
    /// print it once; it is never stored or logged in clear.</summary>
    public static async Task<IssuedApiKey?> BootstrapAdminKeyAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await conn.ExecuteAsync("select pg_advisory_xact_lock(hashtext('headless.bootstrap-admin-key'))", transaction: tx);
        var any = await conn.ExecuteScalarAsync<bool>(
            "select exists (select 1 from api_keys where revoked_at is null and 'admin' = any (roles))", transaction: tx);
        if (any)
        {
            return null;
        }
        var key = await IssueAsync(conn, "bootstrap admin", [Roles.Admin], tx);
        await conn.ExecuteAsync("""
            insert into audit_log (actor, action, entity_type, entity_id, after)
            values ('system:bootstrap', 'api_key.created', 'api_key', @id, jsonb_build_object('name', @name, 'roles', @roles))
            """, new { id = key.Id.ToString(), name = key.Name, roles = new[] { Roles.Admin } }, tx);
        await tx.CommitAsync(ct);
        return key;
    }

    /// <summary>Revokes every admin key and issues a new one: the way back in when the printed key is lost.</summary>
    public static async Task<IssuedApiKey> RotateAdminKeyAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var revoked = await conn.ExecuteAsync(
            "update api_keys set revoked_at = now() where revoked_at is null and 'admin' = any (roles)", transaction: tx);
        var key = await IssueAsync(conn, "admin (rotated)", [Roles.Admin], tx);
        await conn.ExecuteAsync("""
            insert into audit_log (actor, action, entity_type, entity_id, after)
            values ('system:cli', 'api_key.rotated', 'api_key', @id, jsonb_build_object('revoked', @revoked))
            """, new { id = key.Id.ToString(), revoked }, tx);
        await tx.CommitAsync(ct);
        return key;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

public static class Roles
{
    public const string Admin = "admin";
}

public static class Policies
{
    /// <summary>Every /api/v1/admin route requires this policy. The accounts work adds staff users with
    /// the admin role to it; API keys with the admin role satisfy it today.</summary>
    public const string Admin = "admin";
}
