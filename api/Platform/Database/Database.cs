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
        csb.ApplicationName ??= "headless-api";
        return builder.Build();
    }

    /// <summary>Null when a connection opens; else what the operator should check, without a stack trace.</summary>
    public static async Task<string?> UnreachableAsync(NpgsqlDataSource db)
    {
        try
        {
            await using var conn = await db.OpenConnectionAsync();
            return null;
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return $"Headless cannot reach its database ({e.Message.TrimEnd('.')}). Check Headless__Database__ConnectionString: host, port, user, password and database name.";
        }
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
        var pg = await LocalPostgres.StartAsync(directory, port, "headless", Console.Error);
        config["Headless:Database:ConnectionString"] = pg.ConnectionString("headless");
        Console.Error.WriteLine($"PostgreSQL ready on 127.0.0.1:{port} in {sw.ElapsedMilliseconds} ms");
        return pg;
    }
}
