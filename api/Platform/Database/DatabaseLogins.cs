using System.Security.Cryptography;
using Dapper;
using Npgsql;

namespace Headless.Api.Platform.Database;

/// <summary>The two connection strings of one database: the schema owner's (migrations only) and the
/// least-privileged login the API runs as.</summary>
public sealed record DatabaseLogins(string Owner, string App);

/// <summary>
/// Sets up, in a PostgreSQL cluster of our own (the private Development cluster, the tests' cluster), the two
/// logins production uses: `headless_owner` owns the database and runs the migrations, `headless_api` is a
/// member of `headless_app` (migration 0009 grants that role what the API needs, and only SELECT/INSERT on the
/// audit log). Their passwords are generated once and kept beside the cluster's superuser password, readable
/// by us only, so every run, and every test, uses the least-privileged path production uses.
/// </summary>
public static class LocalLogins
{
    public const string OwnerRole = "headless_owner";
    public const string AppLogin = "headless_api";

    /// <param name="superuser">A superuser's connection string to the cluster.</param>
    /// <param name="secretsDirectory">Where the generated passwords are kept.</param>
    /// <param name="database">Created owned by <see cref="OwnerRole"/> when missing; an existing database that
    /// another role owns (a cluster from before the split) is handed over with everything in its public schema.</param>
    public static async Task<DatabaseLogins> EnsureAsync(string superuser, string secretsDirectory, string? database, CancellationToken ct = default)
    {
        var ownerPassword = Secret(secretsDirectory, "owner-password");
        var appPassword = Secret(secretsDirectory, "app-password");
        var server = new NpgsqlConnectionStringBuilder(superuser);
        await using (var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(superuser) { Database = "postgres", Pooling = false }.ConnectionString))
        {
            await conn.OpenAsync(ct);
            // Roles are cluster-wide and two processes (a test run and its child processes) may get here at once.
            await using var tx = await conn.BeginTransactionAsync(ct);
            await conn.ExecuteAsync("select pg_advisory_xact_lock(hashtext('headless local logins'))", transaction: tx);
            // The owner needs CREATEROLE because migration 0009 creates headless_app, as an RDS master user would,
            // and CREATEDB to create the personal-data vaults beside the core database (Platform/Vaults, local clusters only).
            await EnsureRoleAsync(conn, tx, OwnerRole, $"login createrole createdb password {Literal(ownerPassword)}");
            await EnsureRoleAsync(conn, tx, "headless_app", "nologin");
            await EnsureRoleAsync(conn, tx, AppLogin, $"login password {Literal(appPassword)}");
            await conn.ExecuteAsync($"grant headless_app to {AppLogin}", transaction: tx);
            await tx.CommitAsync(ct);
        }
        if (database is not null)
        {
            await EnsureOwnedDatabaseAsync(superuser, database, ct);
        }
        var db = database ?? server.Database ?? "postgres";
        return new DatabaseLogins(
            With(server, OwnerRole, ownerPassword, db),
            With(server, AppLogin, appPassword, db));
    }

    /// <summary>The same server as <paramref name="server"/>, as another login and database.</summary>
    public static string With(NpgsqlConnectionStringBuilder server, string user, string password, string database) =>
        new NpgsqlConnectionStringBuilder(server.ConnectionString) { Username = user, Password = password, Database = database }.ConnectionString;

    private static async Task EnsureRoleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string role, string options)
    {
        var exists = await conn.ExecuteScalarAsync<bool>("select exists (select 1 from pg_roles where rolname = @role)", new { role }, tx);
        // Role names are our constants; passwords are hex, quoted by Literal.
        await conn.ExecuteAsync($"{(exists ? "alter" : "create")} role {role} with {options}", transaction: tx);
    }

    private static async Task EnsureOwnedDatabaseAsync(string superuser, string database, CancellationToken ct)
    {
        await using (var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(superuser) { Database = "postgres", Pooling = false }.ConnectionString))
        {
            await conn.OpenAsync(ct);
            var owner = await conn.ExecuteScalarAsync<string?>(
                "select pg_get_userbyid(datdba) from pg_database where datname = @database", new { database });
            if (owner is null)
            {
                // Identifiers cannot be parameters; the name is quoted and comes from configuration, not from users.
                await conn.ExecuteAsync($"create database {Identifier(database)} owner {OwnerRole}");
                return;
            }
            if (owner == OwnerRole)
            {
                return;
            }
            await conn.ExecuteAsync($"alter database {Identifier(database)} owner to {OwnerRole}");
        }
        // A database migrated as the superuser before the split: its tables, sequences, views, functions and types
        // go to the owner, so it can run the next migrations (extensions' own objects stay with the superuser).
        await using var db = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(superuser) { Database = database, Pooling = false }.ConnectionString);
        await db.OpenAsync(ct);
        await db.ExecuteAsync($"""
            do $$
            declare r record;
            begin
                for r in select c.oid::regclass as name, c.relkind from pg_class c
                         where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S')
                           and pg_get_userbyid(c.relowner) <> '{OwnerRole}'
                           and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype in ('e', 'a', 'i'))
                loop
                    execute format('alter %s %s owner to {OwnerRole}',
                        case r.relkind when 'S' then 'sequence' when 'v' then 'view' when 'm' then 'materialized view' else 'table' end, r.name);
                end loop;
                for r in select p.oid::regprocedure as name from pg_proc p
                         where p.pronamespace = 'public'::regnamespace and pg_get_userbyid(p.proowner) <> '{OwnerRole}'
                           and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
                loop
                    execute format('alter routine %s owner to {OwnerRole}', r.name);
                end loop;
                for r in select t.oid::regtype as name from pg_type t
                         where t.typnamespace = 'public'::regnamespace and t.typtype in ('e', 'd') and pg_get_userbyid(t.typowner) <> '{OwnerRole}'
                           and not exists (select 1 from pg_depend d where d.objid = t.oid and d.deptype = 'e')
                loop
                    execute format('alter type %s owner to {OwnerRole}', r.name);
                end loop;
            end $$;
            """);
    }

    private static string Secret(string directory, string name)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name);
        if (!File.Exists(path))
        {
            var temp = path + $".{Environment.ProcessId}.tmp";
            File.WriteAllText(temp, Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant());
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            try
            {
                // Two processes creating it at once: the first one's password wins, the other reads it.
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException)
            {
                File.Delete(temp);
            }
        }
        return File.ReadAllText(path).Trim();
    }

    private static string Literal(string value) => "'" + value.Replace("'", "''") + "'";

    private static string Identifier(string value) => "\"" + value.Replace("\"", "\"\"") + "\"";
}
