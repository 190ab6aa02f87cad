using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using Dapper;
using Microsoft.AspNetCore.Authentication;
using Npgsql;

namespace Headless.Api.Features.Accounts.Identity;

public sealed record IssuedSession(Guid Id, string? RefreshToken, bool SecondFactor);

/// <summary>Signed-in devices. Tokens and cookies carry the session id; revoking the session signs the
/// device out everywhere within <see cref="RecheckAfter"/> (at once on the instance that revoked it).</summary>
public sealed class Sessions(NpgsqlDataSource db, TimeProvider clock)
{
    public static readonly TimeSpan RefreshLifetime = TimeSpan.FromDays(30);
    public static readonly TimeSpan CookieLifetime = TimeSpan.FromDays(14);
    public static readonly TimeSpan RecheckAfter = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<Guid, (bool Active, DateTimeOffset CheckedAt)> _known = new();

    private static byte[] Hash(string token) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token));

    private static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async Task<IssuedSession> CreateAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid userId, string kind, bool secondFactor)
    {
        var id = Guid.CreateVersion7();
        var refresh = kind == "bearer" ? NewToken() : null;
        await conn.ExecuteAsync("""
            insert into sessions (id, user_id, kind, second_factor, refresh_token_hash, expires_at) values (@id, @userId, @kind, @secondFactor, @hash, @expires)
            """, new { id, userId, kind, secondFactor, hash = refresh is null ? null : Hash(refresh), expires = clock.GetUtcNow().Add(kind == "bearer" ? RefreshLifetime : CookieLifetime).UtcDateTime }, tx);
        return new IssuedSession(id, refresh, secondFactor);
    }

    /// <summary>Swaps a refresh token for a new one. A token that was already spent revokes its session.</summary>
    /// <returns>The user and session, or null when the token is unknown, expired, revoked or replayed.</returns>
    public async Task<(Guid UserId, IssuedSession Session)?> RotateAsync(string refreshToken)
    {
        var hash = Hash(refreshToken);
        var next = NewToken();
        await using var conn = await db.OpenConnectionAsync();
        var rotated = await conn.QuerySingleOrDefaultAsync<(Guid Id, Guid UserId, bool SecondFactor)?>("""
            update sessions set previous_token_hash = refresh_token_hash, refresh_token_hash = @next, last_seen_at = now()
            where refresh_token_hash = @hash and revoked_at is null and expires_at > now()
            returning id, user_id, second_factor
            """, new { hash, next = Hash(next) });
        if (rotated is { } r)
        {
            return (r.UserId, new IssuedSession(r.Id, next, r.SecondFactor));
        }
        var replayed = await conn.QuerySingleOrDefaultAsync<Guid?>("""
            update sessions set revoked_at = now(), revoked_reason = 'refresh token reused'
            where previous_token_hash = @hash and revoked_at is null returning id
            """, new { hash });
        if (replayed is { } sessionId)
        {
            Forget(sessionId);
        }
        return null;
    }

    public async Task RevokeAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid sessionId, string reason)
    {
        await conn.ExecuteAsync("update sessions set revoked_at = now(), revoked_reason = @reason where id = @sessionId and revoked_at is null",
            new { sessionId, reason }, tx);
        Forget(sessionId);
    }

    /// <summary>Signs the user out of every device (after a password reset, an erasure, a role change).</summary>
    public async Task RevokeAllAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid userId, string reason, Guid? except = null)
    {
        var revoked = await conn.QueryAsync<Guid>("""
            update sessions set revoked_at = now(), revoked_reason = @reason
            where user_id = @userId and revoked_at is null and id is distinct from @except returning id
            """, new { userId, reason, except }, tx);
        foreach (var id in revoked)
        {
            Forget(id);
        }
    }

    public async Task<bool> IsActiveAsync(Guid sessionId)
    {
        var now = clock.GetUtcNow();
        if (_known.TryGetValue(sessionId, out var known) && now - known.CheckedAt < RecheckAfter)
        {
            return known.Active;
        }
        await using var conn = await db.OpenConnectionAsync();
        var active = await conn.ExecuteScalarAsync<bool>("""
            select exists (select 1 from sessions s join users u on u.id = s.user_id
                           where s.id = @sessionId and s.revoked_at is null and s.expires_at > now() and u.erased_at is null)
            """, new { sessionId });
        _known[sessionId] = (active, now);
        return active;
    }

    private void Forget(Guid sessionId) => _known[sessionId] = (false, clock.GetUtcNow());
}

/// <summary>Turns a token or cookie whose session was revoked into an anonymous caller.</summary>
public sealed class SessionCheck(Sessions sessions) : IClaimsTransformation
{
    public async Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
    {
        var sid = principal.FindFirstValue(AccountClaims.Session);
        if (sid is null || !Guid.TryParse(sid, out var sessionId))
        {
            return principal;
        }
        return await sessions.IsActiveAsync(sessionId) ? principal : new ClaimsPrincipal(new ClaimsIdentity());
    }
}
