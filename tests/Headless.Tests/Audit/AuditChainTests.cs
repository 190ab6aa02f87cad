using System.Diagnostics;
using System.Net;
using Dapper;
using Headless.Api.Platform.Audit;
using Headless.Contracts.Admin;
using Headless.Contracts.Commerce;
using Headless.Tests.Infrastructure;
using Npgsql;

namespace Headless.Tests.Audit;

/// <summary>The audit log is append-only and hash-chained: SQL cannot change or remove rows through the
/// app's role or past the triggers, and whatever a superuser does with the triggers off, the verifier
/// names the first row it broke.</summary>
public sealed class AuditChainTests
{
    [Fact]
    public async Task Update_delete_and_truncate_are_refused_even_for_the_owner_and_the_app_role_has_no_update_or_delete()
    {
        await using var db = await AuditLogs.ChainAsync(3);
        await using var conn = await db.OpenConnectionAsync();
        // As the API connects: its own login, a member of headless_app.
        await using var app = await AuditLogs.OpenAsAppAsync(db);
        foreach (var sql in new[] { "update audit_log set action = 'forged' where seq = 2", "delete from audit_log where seq = 3", "truncate audit_log" })
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => conn.ExecuteAsync(sql));
            Assert.Contains("append-only", refused.MessageText, StringComparison.Ordinal);
        }

        await using (var tx = await app.BeginTransactionAsync())
        {
            var denied = await Assert.ThrowsAsync<PostgresException>(() => app.ExecuteAsync("delete from audit_log where seq = 3", transaction: tx));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
            Assert.Contains("permission denied", denied.MessageText, StringComparison.Ordinal);
        }
        await using (var tx = await app.BeginTransactionAsync())
        {
            var denied = await Assert.ThrowsAsync<PostgresException>(() => app.ExecuteAsync("update audit_log set action = 'forged' where seq = 2", transaction: tx));
            Assert.Contains("permission denied", denied.MessageText, StringComparison.Ordinal);
        }
        await using (var tx = await app.BeginTransactionAsync())
        {
            // What the app does need: insert (chained by the trigger, whatever seq or hash it sends), read.
            await app.ExecuteAsync("insert into audit_log (actor, action, entity_type, entity_id, seq, hash) values ('user:x', 'test.app-role', 'thing', 'x', 99, '\\x00')", transaction: tx);
            Assert.Equal(4, await app.ExecuteScalarAsync<long>("select seq from audit_log where action = 'test.app-role'", transaction: tx));
            await tx.CommitAsync();
        }
        Assert.Equal("test.written", await conn.ExecuteScalarAsync<string>("select action from audit_log where seq = 2"));
        Assert.Equal(4, await conn.ExecuteScalarAsync<long>("select count(*) from audit_log"));
        Assert.True((await AuditLogs.VerifyAsync(db)).Intact);
    }

    [Fact]
    public async Task Gdpr_erasure_clears_the_client_ip_and_the_chain_still_verifies()
    {
        await using var db = await AuditLogs.ChainAsync(3);
        await using var conn = await db.OpenConnectionAsync();
        // As the API connects: its own login, a member of headless_app.
        await using var app = await AuditLogs.OpenAsAppAsync(db);
        await using (var tx = await app.BeginTransactionAsync())
        {
            Assert.Equal(3, await app.ExecuteAsync("update audit_log set client_ip = null", transaction: tx));
            await tx.CommitAsync();
        }
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>("select count(*) from audit_log where client_ip is not null"));
        // Clearing is the only change allowed: not setting another IP, not clearing it together with anything else.
        await Assert.ThrowsAsync<PostgresException>(() => conn.ExecuteAsync("update audit_log set client_ip = '198.51.100.1' where seq = 1"));
        await Assert.ThrowsAsync<PostgresException>(() => conn.ExecuteAsync("update audit_log set client_ip = null, actor = 'user:someone-else' where seq = 1"));
        var result = await AuditLogs.VerifyAsync(db);
        Assert.True(result.Intact, result.FirstBroken?.Reason);
        Assert.Equal(3, result.RowsChecked);
    }

    [Fact]
    public async Task An_intact_chain_verifies_and_the_command_exits_0()
    {
        await using var db = await AuditLogs.ChainAsync(4);
        var result = await AuditLogs.VerifyAsync(db);
        Assert.True(result.Intact);
        Assert.Null(result.FirstBroken);
        Assert.Equal(4, result.RowsChecked);
        Assert.Equal(4, result.HeadSeq);
        var output = new StringWriter();
        Assert.Equal(0, await AuditVerifyCommand.RunAsync(db, output));
        Assert.Contains("intact: 4 rows", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_altered_row_is_named_by_the_verifier_and_the_command()
    {
        await using var db = await AuditLogs.ChainAsync(5);
        await AuditLogs.TamperAsync(db, """update audit_log set after = '{"n": 1000}' where seq = 3""");
        var broken = (await AuditLogs.VerifyAsync(db)).FirstBroken!;
        Assert.Equal(3, broken.Seq);
        Assert.Contains("altered", broken.Reason, StringComparison.Ordinal);

        var output = new StringWriter();
        Assert.Equal(1, await AuditVerifyCommand.RunAsync(db, output));
        Assert.Contains("BROKEN at seq 3", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_altered_row_whose_hash_was_recomputed_breaks_the_next_rows_link()
    {
        await using var db = await AuditLogs.ChainAsync(5);
        await AuditLogs.TamperAsync(db, """
            update audit_log set actor = 'user:innocent',
                hash = audit_row_hash(seq, at, 'user:innocent', action, entity_type, entity_id, before, after, trace_id, prev_hash)
            where seq = 2
            """);
        var broken = (await AuditLogs.VerifyAsync(db)).FirstBroken!;
        Assert.Equal(3, broken.Seq);
        Assert.Contains("prev_hash", broken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deleted_row_is_named_at_the_gap()
    {
        await using var db = await AuditLogs.ChainAsync(5);
        await AuditLogs.TamperAsync(db, "delete from audit_log where seq = 3");
        var broken = (await AuditLogs.VerifyAsync(db)).FirstBroken!;
        Assert.Equal(4, broken.Seq);
        Assert.Contains("seq 3 missing", broken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rows_deleted_from_the_end_are_found_through_the_chain_head()
    {
        await using var db = await AuditLogs.ChainAsync(5);
        await AuditLogs.TamperAsync(db, "delete from audit_log where seq >= 4");
        var result = await AuditLogs.VerifyAsync(db);
        Assert.False(result.Intact);
        Assert.Equal(4, result.FirstBroken!.Seq);
        Assert.Null(result.FirstBroken.Id);
        Assert.Contains("deleted from the end", result.FirstBroken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reordered_rows_are_named_where_the_order_breaks()
    {
        await using var db = await AuditLogs.ChainAsync(5);
        await AuditLogs.TamperAsync(db, """
            update audit_log set seq = -seq where seq in (2, 3);
            update audit_log set seq = case seq when -2 then 3 else 2 end where seq < 0
            """);
        var broken = (await AuditLogs.VerifyAsync(db)).FirstBroken!;
        Assert.Equal(2, broken.Seq);
        Assert.Contains("reordered", broken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_built_api_run_with_audit_verify_exits_non_zero_naming_the_first_broken_row()
    {
        await using var db = await AuditLogs.ChainAsync(4);
        Assert.Equal((0, "intact"), await RunCommandAsync(db, "intact"));
        await AuditLogs.TamperAsync(db, "update audit_log set action = 'test.harmless' where seq = 2");
        Assert.Equal((1, "BROKEN at seq 2"), await RunCommandAsync(db, "BROKEN at seq 2"));
    }

    private static async Task<(int ExitCode, string Found)> RunCommandAsync(NpgsqlDataSource db, string expected)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { typeof(AuditVerifyCommand).Assembly.Location, AuditVerifyCommand.Name },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(typeof(AuditVerifyCommand).Assembly.Location)!,
        };
        start.Environment["Headless__Database__ConnectionString"] = db.ConnectionString;
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = await stdout;
        Assert.True(output.Contains(expected, StringComparison.Ordinal), $"exit {process.ExitCode}\n{output}\n{await stderr}");
        return (process.ExitCode, expected);
    }
}

/// <summary>GET /api/v1/admin/audit/verification gives the verifier's answer, and chaining holds under
/// concurrent admin writes (this class's database is its own: the last test tampers with it).</summary>
public sealed class AuditVerificationRouteTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Concurrent_admin_writes_chain_in_one_order_and_the_route_then_names_an_altered_row()
    {
        var admin = api.Admin();
        string[] countries = ["DE", "FR", "IT", "ES", "NL", "BE", "AT", "PL", "SE", "DK", "FI", "IE", "PT", "CZ", "GR", "HU", "RO", "SK", "SI", "HR"];
        var responses = await Task.WhenAll(countries.Select(c =>
            admin.SendJsonAsync(HttpMethod.Put, $"/api/v1/admin/tax-rates/{c}", new SetTaxRateRequest(1900, true))));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        var intact = await (await admin.GetAsync("/api/v1/admin/audit/verification")).ReadAsync<AuditVerification>();
        Assert.True(intact.Intact, intact.FirstBroken?.Reason);
        await using var conn = await api.Db.OpenConnectionAsync();
        var seqs = (await conn.QueryAsync<long>("select seq from audit_log order by seq")).ToList();
        Assert.Equal(Enumerable.Range(1, seqs.Count).Select(i => (long)i), seqs);
        Assert.Equal(countries.Length, await conn.ExecuteScalarAsync<long>("select count(*) from audit_log where action = 'tax-rate.set'"));
        Assert.Equal(seqs.Count, intact.RowsChecked);

        var target = await conn.QuerySingleAsync<(long Seq, long Id)>("select seq, id from audit_log where action = 'tax-rate.set' order by seq limit 1 offset 5");
        await AuditLogs.TamperAsync(api.Db, $$"""update audit_log set after = jsonb_set(after, '{rateBasisPoints}', '0') where seq = {{target.Seq}}""");
        var broken = await (await admin.GetAsync("/api/v1/admin/audit/verification")).ReadAsync<AuditVerification>();
        Assert.False(broken.Intact);
        Assert.Equal(new AuditBreak(target.Seq, target.Id, "content does not match its hash: the row was altered"), broken.FirstBroken);
        Assert.Equal(target.Seq - 1, broken.RowsChecked);
    }
}
