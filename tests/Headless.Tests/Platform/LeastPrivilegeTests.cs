using System.Net;
using Dapper;
using Headless.Api.Platform.Database;
using Headless.Tests.Infrastructure;
using Npgsql;

namespace Headless.Tests.Platform;

/// <summary>The API runs as the least-privileged login (a member of headless_app), never as the schema owner:
/// that login cannot rewrite audit rows, write the migration table or change the schema; it can clear an audit
/// row's client IP (erasure) and nothing else there. Production refuses an owner or superuser runtime login.</summary>
public sealed class LeastPrivilegeTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private async Task<PostgresException> RefusedAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(api.ConnectionString);
        await conn.OpenAsync();
        var refused = await Assert.ThrowsAsync<PostgresException>(() => conn.ExecuteAsync(sql));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        return refused;
    }

    private async Task<long> AuditRowAsync()
    {
        await using var conn = await api.Db.OpenConnectionAsync();
        return await conn.ExecuteScalarAsync<long>("""
            insert into audit_log (actor, action, entity_type, entity_id, client_ip, trace_id)
            values ('user:least-privilege', 'test.written', 'thing', 'one', '203.0.113.9', 'trace') returning id
            """);
    }

    [Fact]
    public async Task The_api_connects_as_the_least_privileged_login()
    {
        Assert.Equal(HttpStatusCode.OK, (await api.CreateClient().GetAsync("/api/v1/products")).StatusCode);
        await using var conn = await api.Db.OpenConnectionAsync();
        var users = (await conn.QueryAsync<string>(
            "select distinct usename from pg_stat_activity where datname = current_database() and application_name = 'headless-api'")).ToList();
        Assert.Equal([LocalLogins.AppLogin], users);
        // The owner's connection was for the migrations only: none stays open.
        Assert.Equal(0, await conn.ExecuteScalarAsync<int>(
            "select count(*) from pg_stat_activity where datname = current_database() and application_name = 'headless-migrate'"));
        Assert.True(await conn.ExecuteScalarAsync<bool>($"select pg_has_role('{LocalLogins.AppLogin}', 'headless_app', 'MEMBER')"));
    }

    [Fact]
    public async Task The_runtime_login_cannot_update_delete_or_truncate_audit_rows_by_privilege_not_only_by_trigger()
    {
        var id = await AuditRowAsync();
        // "permission denied" is the privilege check, which runs before the append-only trigger ever sees the row.
        Assert.Contains("permission denied for table audit_log", (await RefusedAsync($"update audit_log set action = 'test.hidden' where id = {id}")).MessageText);
        Assert.Contains("permission denied for table audit_log", (await RefusedAsync($"delete from audit_log where id = {id}")).MessageText);
        Assert.Contains("permission denied for table audit_log", (await RefusedAsync("truncate audit_log")).MessageText);
        Assert.Contains("permission denied for table audit_chain_head", (await RefusedAsync("update audit_chain_head set seq = 0")).MessageText);
        Assert.Contains("permission denied for table schema_migrations", (await RefusedAsync("delete from schema_migrations")).MessageText);
    }

    [Fact]
    public async Task The_runtime_login_can_clear_an_audit_client_ip_for_erasure_and_change_nothing_else()
    {
        var id = await AuditRowAsync();
        await using var conn = new NpgsqlConnection(api.ConnectionString);
        await conn.OpenAsync();
        // Setting another address passes the column grant and is stopped by the trigger.
        var rewritten = await Assert.ThrowsAsync<PostgresException>(() => conn.ExecuteAsync($"update audit_log set client_ip = '198.51.100.1' where id = {id}"));
        Assert.Contains("append-only", rewritten.MessageText);
        Assert.Equal(1, await conn.ExecuteAsync($"update audit_log set client_ip = null where id = {id}"));
        Assert.Null(await conn.ExecuteScalarAsync<string?>($"select host(client_ip) from audit_log where id = {id}"));
    }

    [Theory]
    [InlineData("create table smuggled (id int)", "permission denied for schema public")]
    [InlineData("alter table products add column smuggled int", "must be owner of table products")]
    [InlineData("drop table audit_log", "must be owner of table audit_log")]
    [InlineData("alter table audit_log disable trigger user", "must be owner of table audit_log")]
    [InlineData("create or replace function audit_log_append_only() returns trigger language plpgsql as $$ begin return new; end $$", "permission denied for schema public")]
    public async Task The_runtime_login_cannot_run_ddl(string sql, string refusal)
    {
        Assert.Contains(refusal, (await RefusedAsync(sql)).MessageText);
    }

    [Fact]
    public async Task The_privilege_check_passes_the_runtime_login_and_names_an_owner_or_superuser()
    {
        await using (var app = new NpgsqlConnection(api.ConnectionString))
        {
            await app.OpenAsync();
            Assert.Empty(await SchemaOwner.PrivilegeProblemsAsync(app));
        }
        await using (var owner = new NpgsqlConnection(api.OwnerConnectionString))
        {
            await owner.OpenAsync();
            Assert.Contains("owns the schema", Assert.Single(await SchemaOwner.PrivilegeProblemsAsync(owner)));
        }
        await using var superuser = new NpgsqlConnection(await TestDatabase.SuperuserAsync(api.ConnectionString));
        await superuser.OpenAsync();
        Assert.Contains("a superuser", Assert.Single(await SchemaOwner.PrivilegeProblemsAsync(superuser)));
    }
}

/// <summary>The built API in Production: an owner or superuser runtime login refuses the start; with only the
/// least-privileged login, pending migrations refuse it until `migrate` runs as the owner.</summary>
public sealed class LeastPrivilegeProductionTests
{
    private static void AssertRefusedNaming(int exit, ApiBinary run, params string[] expected)
    {
        Assert.True(exit == 1, $"exit {exit}\n{run.Output}");
        foreach (var text in expected)
        {
            Assert.Contains(text, run.Stderr);
        }
        Assert.DoesNotContain("   at ", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_refuses_to_run_as_the_schema_owner_or_a_superuser_naming_the_fix()
    {
        var settings = await Configured.AllAsync();
        var owner = settings["Headless__Database__MigrationConnectionString"];
        settings["Headless__Database__ConnectionString"] = owner;
        var (exit, run) = await ApiBinary.RunAsync(settings);
        AssertRefusedNaming(exit, run, LocalLogins.OwnerRole, "owns the schema", "headless_app", "Headless__Database__MigrationConnectionString");

        settings["Headless__Database__ConnectionString"] = await TestDatabase.SuperuserAsync(owner);
        (exit, run) = await ApiBinary.RunAsync(settings);
        AssertRefusedNaming(exit, run, "a superuser", "headless_app");

        // The operator commands refuse the same way.
        (exit, run) = await ApiBinary.RunAsync(settings, "create-api-key", "--name=Feed", "--scopes=catalog");
        AssertRefusedNaming(exit, run, "a superuser");
        Assert.DoesNotContain("hk_", run.Stdout);
    }

    [Fact]
    public async Task With_only_the_runtime_login_pending_migrations_refuse_the_start_until_migrate_runs_as_the_owner()
    {
        var empty = await TestDatabase.CreateEmptyAsync();
        var settings = await Configured.AllAsync();
        settings["Headless__Database__ConnectionString"] = empty.App;
        settings.Remove("Headless__Database__MigrationConnectionString");

        var (exit, run) = await ApiBinary.RunAsync(settings);
        AssertRefusedNaming(exit, run, "migration(s) pending", "./build.sh migrate");

        (exit, run) = await ApiBinary.RunAsync(settings, "migrate");
        AssertRefusedNaming(exit, run, "Headless__Database__MigrationConnectionString");

        var migrate = new Dictionary<string, string>(settings) { ["Headless__Database__MigrationConnectionString"] = empty.Owner };
        (exit, run) = await ApiBinary.RunAsync(migrate, "migrate");
        Assert.True(exit == 0, run.Output);
        Assert.Contains("Schema up to date", run.Stdout);

        var port = ApiBinary.FreePort();
        settings["Urls"] = $"http://127.0.0.1:{port}";
        await using var api = ApiBinary.Start(settings);
        await api.WaitUntilReadyAsync(new Uri($"http://127.0.0.1:{port}"));
        await using var conn = new NpgsqlConnection(empty.Owner);
        await conn.OpenAsync();
        Assert.Equal(LocalLogins.OwnerRole, await conn.ExecuteScalarAsync<string>("select pg_get_userbyid(relowner) from pg_class where oid = 'audit_log'::regclass"));
    }
}
