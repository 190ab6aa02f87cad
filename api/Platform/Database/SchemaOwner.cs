using Dapper;
using Npgsql;

namespace Headless.Api.Platform.Database;

/// <summary>
/// Who migrates the schema, kept apart from who serves requests. The API runs as a least-privileged login (a
/// member of `headless_app`: DML on the shop's tables, only SELECT/INSERT on the audit log, no DDL), so a SQL
/// injection or a stolen runtime password can neither rewrite history nor change the schema. Migrations need
/// the owner: `Headless:Database:MigrationConnectionString`, used only to migrate, at start-up under the
/// advisory lock and by the operator commands, and then closed.
///
/// With no migration connection string, Development migrates with the one connection it has (a developer's own
/// database). Production does not: it assumes the schema was migrated by a deploy step (`./build.sh migrate`),
/// refuses to start while migrations are pending, and refuses a runtime login that could do what the
/// least-privileged one must not (superuser, member of the schema or table owner, CREATE on the schema, UPDATE
/// or DELETE on the audit log), naming the fix. There is no opt-out: an owner login is the mistake this exists
/// to catch.
/// </summary>
public sealed class SchemaOwner : IAsyncDisposable
{
    private readonly bool _ownsSource;

    private SchemaOwner(NpgsqlDataSource? migrations, bool ownsSource)
    {
        Migrations = migrations;
        _ownsSource = ownsSource;
    }

    public const string ConnectionStringKey = "Headless:Database:MigrationConnectionString";

    /// <summary>Null when this process does not migrate (Production with only the runtime login).</summary>
    public NpgsqlDataSource? Migrations { get; }

    public static SchemaOwner From(IConfiguration config, IHostEnvironment env, NpgsqlDataSource runtime)
    {
        var cs = config[ConnectionStringKey];
        if (!string.IsNullOrWhiteSpace(cs))
        {
            var builder = new NpgsqlDataSourceBuilder(cs);
            builder.ConnectionStringBuilder.ApplicationName ??= "headless-migrate";
            // No idle owner connection stays open once the migrations are done.
            builder.ConnectionStringBuilder.Pooling = false;
            return new SchemaOwner(builder.Build(), ownsSource: true);
        }
        return new SchemaOwner(env.IsDevelopment() ? runtime : null, ownsSource: false);
    }

    /// <returns>The versions applied now; empty when up to date or when this process does not migrate.</returns>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken ct = default) =>
        Migrations is null ? [] : await Migrator.MigrateAsync(Migrations, ct);

    /// <returns>The versions applied now, running each <see cref="MigrationStep"/> before the migration that needs it.</returns>
    public async Task<IReadOnlyList<string>> MigrateAsync(IReadOnlyList<MigrationStep> steps, CancellationToken ct = default) =>
        Migrations is null ? [] : await Migrator.MigrateAsync(Migrations, steps, ct);

    /// <summary>Outside Development: everything wrong with the runtime login (and, when this process does not
    /// migrate, the migrations still pending), each naming its fix; empty when the API may start.</summary>
    public async Task<IReadOnlyList<string>> RuntimeLoginProblemsAsync(NpgsqlDataSource runtime, CancellationToken ct = default)
    {
        await using var conn = await runtime.OpenConnectionAsync(ct);
        var problems = (await PrivilegeProblemsAsync(conn, ct)).ToList();
        if (Migrations is null && problems.Count == 0 && await Migrator.PendingAsync(conn, ct) is { Count: > 0 } pending)
        {
            problems.Add($"{pending.Count} migration(s) pending ({string.Join(", ", pending)}) and no Headless__Database__MigrationConnectionString "
                + "to apply them: run `./build.sh migrate` with it set to the schema owner's connection string, or set it for the API too.");
        }
        return problems;
    }

    /// <summary>What the connected login can do that the API's login must not.</summary>
    public static async Task<IReadOnlyList<string>> PrivilegeProblemsAsync(NpgsqlConnection conn, CancellationToken ct = default)
    {
        var login = await conn.QuerySingleAsync<LoginPowers>(new CommandDefinition("""
            select current_user as name,
                   (select rolsuper from pg_roles where rolname = current_user) as superuser,
                   pg_has_role(current_user, (select nspowner from pg_namespace where nspname = 'public'), 'USAGE') as ownsschema,
                   has_schema_privilege('public', 'CREATE') as createsinschema,
                   exists (select 1 from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
                           and pg_has_role(current_user, c.relowner, 'USAGE')) as ownstables,
                   coalesce(to_regclass('audit_log') is not null and (has_table_privilege('audit_log', 'UPDATE')
                       or has_table_privilege('audit_log', 'DELETE') or has_table_privilege('audit_log', 'TRUNCATE')), false) as rewritesaudit
            """, cancellationToken: ct));
        const string Fix = " Give the API a login that is a member of headless_app (`create role headless_api login password '…' in role headless_app`) "
            + "in Headless__Database__ConnectionString, and the owner's in Headless__Database__MigrationConnectionString (docs/security.md).";
        var problems = new List<string>();
        if (login.Superuser)
        {
            problems.Add($"Headless__Database__ConnectionString: the API would run as '{login.Name}', a superuser.{Fix}");
        }
        else if (login.OwnsSchema || login.OwnsTables || login.CreatesInSchema)
        {
            problems.Add($"Headless__Database__ConnectionString: the API would run as '{login.Name}', which owns the schema or its tables "
                + $"or may create objects in it, so it could change the schema or drop the audit log.{Fix}");
        }
        else if (login.RewritesAudit)
        {
            problems.Add($"Headless__Database__ConnectionString: the API would run as '{login.Name}', which may UPDATE, DELETE or TRUNCATE "
                + $"audit_log rows; headless_app may only insert them and clear client_ip.{Fix}");
        }
        return problems;
    }

    private sealed record LoginPowers(string Name, bool Superuser, bool OwnsSchema, bool CreatesInSchema, bool OwnsTables, bool RewritesAudit);

    public async ValueTask DisposeAsync()
    {
        // In Development without a migration login the runtime data source doubles as this one; the container disposes it.
        if (_ownsSource && Migrations is not null)
        {
            await Migrations.DisposeAsync();
        }
    }
}
