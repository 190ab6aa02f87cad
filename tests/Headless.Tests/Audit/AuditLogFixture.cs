using Dapper;
using Headless.Api.Platform.Audit;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Headless.Tests.Infrastructure;
using Npgsql;

namespace Headless.Tests.Audit;

/// <summary>Audit chains on their own fresh databases, and the SQL a superuser would use to tamper with them.</summary>
public static class AuditLogs
{
    /// <summary>A fresh, migrated database holding <paramref name="rows"/> audit rows written the app's way.</summary>
    public static async Task<NpgsqlDataSource> ChainAsync(int rows)
    {
        // As the owner, who can turn the triggers off to tamper; the password stays in ConnectionString so a child
        // process (the audit-verify command) can connect too.
        var db = NpgsqlDataSource.Create((await TestDatabase.CreateAsync()).Owner);
        await using var conn = await db.OpenConnectionAsync();
        for (var i = 1; i <= rows; i++)
        {
            await using var tx = await conn.BeginTransactionAsync();
            var log = new WriteLog(conn, tx, new Actor($"user:{Guid.NewGuid()}", "203.0.113.7", $"trace-{i}"));
            await log.AuditAsync("test.written", "thing", $"thing-{i}", $$"""{"n": {{i - 1}}}""", $$"""{"n": {{i}}}""");
            await tx.CommitAsync();
        }
        return db;
    }

    /// <summary>A connection to the same database as the API's least-privileged login.</summary>
    public static async Task<NpgsqlConnection> OpenAsAppAsync(NpgsqlDataSource db)
    {
        var conn = new NpgsqlConnection(await TestDatabase.AppLoginAsync(db.ConnectionString));
        await conn.OpenAsync();
        return conn;
    }

    /// <summary>Runs SQL with the audit triggers off, as a superuser could.</summary>
    public static async Task TamperAsync(NpgsqlDataSource db, string sql)
    {
        await using var conn = await db.OpenConnectionAsync();
        await conn.ExecuteAsync($"""
            alter table audit_log disable trigger user;
            {sql};
            alter table audit_log enable trigger user;
            """);
    }

    public static async Task<AuditVerification> VerifyAsync(NpgsqlDataSource db)
    {
        await using var conn = await db.OpenConnectionAsync();
        return await AuditChain.VerifyAsync(conn);
    }
}
