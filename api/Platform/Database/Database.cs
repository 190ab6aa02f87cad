using System.Diagnostics;
using Headless.Api.Platform.Database;
using Headless.Api.Platform.Hosting;
using Npgsql;

namespace Headless.Api;

public static class Database
{
    public static NpgsqlDataSource CreateDataSource(IConfiguration config)
    {
        var cs = config["Headless:Database:ConnectionString"];
        if (string.IsNullOrWhiteSpace(cs))
        {
            throw new InvalidOperationException("No database configured: set Headless__Database__ConnectionString, or leave it empty to use the local PostgreSQL.");
        }
        var builder = new NpgsqlDataSourceBuilder(cs);
        var csb = builder.ConnectionStringBuilder;
        if (csb.MaxAutoPrepare == 0)
        {
            csb.MaxAutoPrepare = 64;
        }
        // Npgsql otherwise resets every pooled connection on its next use (RESET ALL, UNLISTEN *, advisory unlock,
        // ...) as a statement of its own: one more transaction and round trip per request, half the commits of an
        // add to cart. Nothing here leaves session state behind: advisory locks are xact locks, set_config is
        // local, and the LISTEN connections are held for the host's life (one dropped after an error may keep
        // hearing its channel until the pool prunes it; nobody reads those notifications).
        csb.NoResetOnClose = true;
        csb.ApplicationName ??= "headless-api";
        // The pool's name in the Npgsql metrics (db_client_connection_*): short, stable, and never the connection string.
        builder.Name = "headless-api";
        return builder.Build();
    }

    /// <summary>Null when a connection opens; else what the operator should check, without a stack trace.</summary>
    public static async Task<string?> UnreachableAsync(NpgsqlDataSource db, SchemaOwner? schema = null)
    {
        foreach (var (source, setting) in new[] { (db, "Headless__Database__ConnectionString"), (schema?.Migrations, "Headless__Database__MigrationConnectionString") })
        {
            if (source is null)
            {
                continue;
            }
            try
            {
                await using var conn = await source.OpenConnectionAsync();
            }
            catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
            {
                return $"Headless cannot reach its database ({e.Message.TrimEnd('.')}). Check {setting}: host, port, user, password and database name.";
            }
        }
        return null;
    }
}

public static class LocalDatabase
{
    public static async Task<LocalPostgres?> StartIfNeededAsync(IConfiguration config)
    {
        if (!string.IsNullOrWhiteSpace(config["Headless:Database:ConnectionString"]))
        {
            return null;
        }
        var directory = config["Headless:LocalPostgres:Directory"] ?? Path.Combine(RepoPaths.Data, "pg");
        var port = int.Parse(config["Headless:LocalPostgres:Port"] ?? "54329", System.Globalization.CultureInfo.InvariantCulture);
        var sw = Stopwatch.StartNew();
        var pg = await LocalPostgres.StartAsync(directory, port, null, Console.Error, default, LocalWalArchive(config, directory, port));
        // The API runs as the least-privileged login and migrates as the owner, as in production.
        var logins = await LocalLogins.EnsureAsync(pg.ConnectionString("postgres"), directory, "headless");
        config["Headless:Database:ConnectionString"] = logins.App;
        config[SchemaOwner.ConnectionStringKey] = logins.Owner;
        Console.Error.WriteLine($"PostgreSQL ready on 127.0.0.1:{port} in {sw.ElapsedMilliseconds} ms");
        return pg;
    }

    /// <summary>The local cluster archives its WAL through pgBackRest to .data/backups (or the configured
    /// repository) when pgBackRest is installed (`./build.sh ensure-pgbackrest`) and Headless:Backups:Archive is not false.</summary>
    public static PgBackRest? LocalWalArchive(IConfiguration config, string directory, int port)
    {
        if (config["Headless:Backups:Archive"] == "false" || !PgBackRest.IsInstalled)
        {
            return null;
        }
        return new PgBackRest(directory, port, BackupRepository.FromSettings(key => config[key], Path.Combine(RepoPaths.Data, "backups")));
    }
}
