using Dapper;
using Headless.Api.Platform.Database;
using Headless.Api.Platform.Hosting;
using Npgsql;

namespace Headless.Tests.Infrastructure;

/// <summary>
/// The real PostgreSQL the tests use: the server named by Headless__Database__ConnectionString when set (a
/// superuser's), otherwise a private cluster under .data/test-pg started once per test run (and stopped when
/// the run exits). Each test class gets its own database, cloned in milliseconds from a migrated template.
/// As in production, the schema belongs to `headless_owner`, who migrates, and the API runs as `headless_api`,
/// a member of the least-privileged `headless_app` (<see cref="LocalLogins"/>).
/// </summary>
public static class TestDatabase
{
    // Names carry the test process id, so concurrent test runs on one server never touch each other's
    // databases, and a later run can tell which leftovers belong to processes that are gone.
    private static readonly string Prefix = $"t{Environment.ProcessId}_";
    private static readonly string Template = Prefix + "template";
    private static readonly SemaphoreSlim CloneLock = new(1, 1);
    private static readonly Lazy<Task<(NpgsqlConnectionStringBuilder Server, DatabaseLogins Logins)>> Server = new(StartAsync);

    /// <summary>A fresh migrated database: the owner's and the API's connection strings.</summary>
    public static async Task<DatabaseLogins> CreateAsync() => await CloneAsync(Template);

    /// <summary>A fresh database with nothing in it, owned by the owner login (for migration tests).</summary>
    public static async Task<DatabaseLogins> CreateEmptyAsync() => await CloneAsync("template0");

    /// <summary>The cluster's superuser on the same database: what the API must refuse to run as.</summary>
    public static async Task<string> SuperuserAsync(string connectionString) =>
        With((await Server.Value).Server, new NpgsqlConnectionStringBuilder(connectionString).Database!);

    /// <summary>The API's least-privileged login on the same database.</summary>
    public static async Task<string> AppLoginAsync(string connectionString) =>
        With(new NpgsqlConnectionStringBuilder((await Server.Value).Logins.App), new NpgsqlConnectionStringBuilder(connectionString).Database!);

    private static async Task<DatabaseLogins> CloneAsync(string template)
    {
        var (server, logins) = await Server.Value;
        var name = Prefix + Guid.NewGuid().ToString("N")[..16];
        await CloneLock.WaitAsync();
        try
        {
            await using var conn = new NpgsqlConnection(With(server, "postgres"));
            await conn.OpenAsync();
            await conn.ExecuteAsync($"create database {name} owner {LocalLogins.OwnerRole} template {template}");
        }
        finally
        {
            CloneLock.Release();
        }
        return new DatabaseLogins(With(new NpgsqlConnectionStringBuilder(logins.Owner), name), With(new NpgsqlConnectionStringBuilder(logins.App), name));
    }

    private static async Task<(NpgsqlConnectionStringBuilder, DatabaseLogins)> StartAsync()
    {
        NpgsqlConnectionStringBuilder server;
        string secrets;
        var configured = Environment.GetEnvironmentVariable("Headless__Database__ConnectionString");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            server = new NpgsqlConnectionStringBuilder(configured);
            secrets = Path.Combine(RepoPaths.Data, "test-logins");
        }
        else
        {
            // HEADLESS_TEST_PG_PORT lets two checkouts of the repo run their suites side by side.
            var port = int.Parse(Environment.GetEnvironmentVariable("HEADLESS_TEST_PG_PORT") ?? "54339", System.Globalization.CultureInfo.InvariantCulture);
            var pg = await LocalPostgres.StartAsync(Path.Combine(RepoPaths.Data, port == 54339 ? "test-pg" : $"test-pg-{port}"), port, null, TextWriter.Null);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => pg.DisposeAsync().AsTask().GetAwaiter().GetResult();
            server = new NpgsqlConnectionStringBuilder(pg.ConnectionString("postgres"));
            secrets = pg.Directory;
        }
        server.Pooling = false;
        // PersistSecurityInfo: tests hand these connection strings on (child processes of the built API).
        server.PersistSecurityInfo = true;
        var logins = await LocalLogins.EnsureAsync(server.ConnectionString, secrets, null);
        await using (var conn = new NpgsqlConnection(With(server, server.Database ?? "postgres")))
        {
            await conn.OpenAsync();
            var leftovers = await conn.QueryAsync<string>("select datname from pg_database where datname ~ '^t[0-9]+_'");
            foreach (var db in leftovers.Where(IsFromFinishedRun))
            {
                await conn.ExecuteAsync($"drop database if exists {db} with (force)");
            }
            await conn.ExecuteAsync($"create database {Template} owner {LocalLogins.OwnerRole}");
        }
        // Migrated as the owner, exactly as the API's start-up does it.
        await using (var template = NpgsqlDataSource.Create(With(new NpgsqlConnectionStringBuilder(logins.Owner), Template)))
        {
            await Migrator.MigrateAsync(template);
        }
        return (server, logins);
    }

    private static bool IsFromFinishedRun(string database)
    {
        var pid = int.Parse(database[1..database.IndexOf('_', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
        if (pid == Environment.ProcessId)
        {
            return true;
        }
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }

    private static string With(NpgsqlConnectionStringBuilder server, string database) =>
        new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = database, Pooling = true, PersistSecurityInfo = true }.ConnectionString;
}
