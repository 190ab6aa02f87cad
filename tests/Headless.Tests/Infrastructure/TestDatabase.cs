using Dapper;
using Headless.Api.Platform.Database;
using Headless.Api.Platform.Hosting;
using Npgsql;

namespace Headless.Tests.Infrastructure;

/// <summary>
/// The real PostgreSQL the tests use: the server named by Headless__Database__ConnectionString when set,
/// otherwise a private cluster under .data/test-pg started once per test run (and stopped when the run
/// exits). Each test class gets its own database, cloned in milliseconds from a migrated template.
/// </summary>
public static class TestDatabase
{
    // Names carry the test process id, so concurrent test runs on one server never touch each other's
    // databases, and a later run can tell which leftovers belong to processes that are gone.
    private static readonly string Prefix = $"t{Environment.ProcessId}_";
    private static readonly string Template = Prefix + "template";
    private static readonly SemaphoreSlim CloneLock = new(1, 1);
    private static readonly Lazy<Task<NpgsqlConnectionStringBuilder>> Server = new(StartAsync);

    public static async Task<string> CreateAsync()
    {
        var server = await Server.Value;
        var name = Prefix + Guid.NewGuid().ToString("N")[..16];
        await CloneLock.WaitAsync();
        try
        {
            await using var conn = new NpgsqlConnection(With(server, "postgres"));
            await conn.OpenAsync();
            await conn.ExecuteAsync($"create database {name} template {Template}");
        }
        finally
        {
            CloneLock.Release();
        }
        return With(server, name);
    }

    private static async Task<NpgsqlConnectionStringBuilder> StartAsync()
    {
        NpgsqlConnectionStringBuilder server;
        var configured = Environment.GetEnvironmentVariable("Headless__Database__ConnectionString");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            server = new NpgsqlConnectionStringBuilder(configured);
        }
        else
        {
            // HEADLESS_TEST_PG_PORT lets two checkouts of the repo run their suites side by side.
            var port = int.Parse(Environment.GetEnvironmentVariable("HEADLESS_TEST_PG_PORT") ?? "54339", System.Globalization.CultureInfo.InvariantCulture);
            var pg = await LocalPostgres.StartAsync(Path.Combine(RepoPaths.Data, port == 54339 ? "test-pg" : $"test-pg-{port}"), port, null, TextWriter.Null);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => pg.DisposeAsync().AsTask().GetAwaiter().GetResult();
            server = new NpgsqlConnectionStringBuilder(pg.ConnectionString("postgres"));
        }
        server.Pooling = false;
        await using (var conn = new NpgsqlConnection(With(server, server.Database ?? "postgres")))
        {
            await conn.OpenAsync();
            var leftovers = await conn.QueryAsync<string>("select datname from pg_database where datname ~ '^t[0-9]+_'");
            foreach (var db in leftovers.Where(IsFromFinishedRun))
            {
                await conn.ExecuteAsync($"drop database if exists {db} with (force)");
            }
            await conn.ExecuteAsync($"create database {Template}");
        }
        await using (var template = NpgsqlDataSource.Create(With(server, Template)))
        {
            await Migrator.MigrateAsync(template);
        }
        return server;
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
        new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = database, Pooling = true }.ConnectionString;
}
