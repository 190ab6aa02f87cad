using System.Globalization;
using Dapper;
using Headless.Api.Platform.Database;
using Headless.Api.Platform.Hosting;
using Headless.Backup;
using Npgsql;

namespace Headless.Tests.Backups;

/// <summary>
/// Real pgBackRest on a real private cluster of its own (<c>.data/test-backup-pg-PORT</c>, port
/// HEADLESS_TEST_BACKUP_PG_PORT or 24359), archiving its WAL to a folder repository: one full backup, then
/// restores to a noted time and to latest, and the refusals that must leave the cluster alone.
/// </summary>
[Collection(BackupCluster.Name)]
public sealed class PointInTimeRestoreTests(BackupCluster cluster)
{
    [BackupFact]
    public async Task Restore_to_a_noted_time_brings_back_exactly_what_was_committed_before_it()
    {
        await cluster.ExecuteAsync("create table pitr_orders (n int primary key)");
        await cluster.ExecuteAsync("insert into pitr_orders select generate_series(1, 3)");
        var noted = await cluster.ScalarAsync<DateTime>("select clock_timestamp()");
        await cluster.ExecuteAsync("insert into pitr_orders values (4)");
        await cluster.ExecuteAsync("insert into pitr_orders values (5)");

        var restored = await cluster.Backups.RestoreAsync(new RestoreTarget(new DateTimeOffset(noted, TimeSpan.Zero)), CancellationToken.None);

        Assert.Equal([1, 2, 3], await cluster.RowsAsync("select n from pitr_orders order by n"));
        Assert.NotNull(restored.LastRestoredCommit);
        Assert.True(restored.LastRestoredCommit <= new DateTimeOffset(noted, TimeSpan.Zero));
        Assert.False(await cluster.ScalarAsync<bool>("select pg_is_in_recovery()"));
        // Promoted: writable again.
        await cluster.ExecuteAsync("insert into pitr_orders values (6)");
    }

    [BackupFact]
    public async Task Restore_to_latest_keeps_every_committed_row()
    {
        await cluster.ExecuteAsync("create table latest_orders (n int primary key)");
        for (var i = 1; i <= 20; i++)
        {
            await cluster.ExecuteAsync($"insert into latest_orders values ({i})");
        }
        // The restore itself switches to a new WAL segment and waits until pgBackRest archived it.
        await cluster.Backups.RestoreAsync(RestoreTarget.Latest, CancellationToken.None);

        Assert.Equal(Enumerable.Range(1, 20), await cluster.RowsAsync("select n from latest_orders order by n"));
    }

    [BackupFact]
    public async Task Bad_targets_and_a_connected_api_are_refused_without_touching_the_cluster()
    {
        await cluster.ExecuteAsync("create table untouched (n int); insert into untouched values (7)");
        var startedAt = await cluster.ScalarAsync<DateTime>("select pg_postmaster_start_time()");

        foreach (var bad in new[] { "yesterday", "2026-12-04 10:00", "2026-12-04T10:00:00", "2026-13-45T10:00:00Z", "" })
        {
            var refusal = Assert.Throws<BackupError>(() => RestoreTarget.Parse(bad));
            Assert.Contains("--to=", refusal.Message);
        }
        var beforeFirstBackup = await Assert.ThrowsAsync<BackupError>(() =>
            cluster.Backups.RestoreAsync(RestoreTarget.Parse("2020-01-01T00:00:00Z"), CancellationToken.None));
        Assert.Contains("before the first backup", beforeFirstBackup.Message);
        var future = await Assert.ThrowsAsync<BackupError>(() =>
            cluster.Backups.RestoreAsync(new RestoreTarget(DateTimeOffset.UtcNow.AddHours(1)), CancellationToken.None));
        Assert.Contains("--to=latest", future.Message);

        await using (var api = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cluster.Superuser) { ApplicationName = "headless-api", Pooling = false }.ConnectionString))
        {
            await api.OpenAsync();
            var inUse = await Assert.ThrowsAsync<BackupError>(() => cluster.Backups.RestoreAsync(RestoreTarget.Latest, CancellationToken.None));
            Assert.Contains("headless-api", inUse.Message);
            Assert.Contains("stop the API", inUse.Message);
        }

        Assert.Equal(startedAt, await cluster.ScalarAsync<DateTime>("select pg_postmaster_start_time()"));
        Assert.Equal([7], await cluster.RowsAsync("select n from untouched"));
    }
}

/// <summary>Skips, saying why, where Debian's pgbackrest is not installed.</summary>
public sealed class BackupFactAttribute : FactAttribute
{
    public BackupFactAttribute()
    {
        if (!PgBackRest.IsInstalled)
        {
            Skip = $"pgBackRest is not installed ({PgBackRest.Executable}): `./build.sh ensure-pgbackrest` installs it (apt-get install pgbackrest).";
        }
    }
}

[CollectionDefinition(BackupCluster.Name)]
public sealed class BackupClusterCollection : ICollectionFixture<BackupCluster>;

/// <summary>The backup tests' cluster: created fresh, archiving from its first start, with one full backup.</summary>
public sealed class BackupCluster : IAsyncLifetime
{
    public const string Name = "pgBackRest cluster";

    private static readonly int Port = int.Parse(Environment.GetEnvironmentVariable("HEADLESS_TEST_BACKUP_PG_PORT") ?? "24359", CultureInfo.InvariantCulture);
    private readonly string _directory = Path.Combine(RepoPaths.Data, $"test-backup-pg-{Port}");
    private LocalPostgres? _pg;

    public ClusterBackups Backups { get; private set; } = null!;

    public string Superuser { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (!PgBackRest.IsInstalled)
        {
            return;
        }
        await StartAfreshAsync(_directory);
        var repository = BackupRepository.Folder(Path.Combine(_directory, "backups"));
        Backups = new ClusterBackups(_directory, Port, repository, TextWriter.Null);
        _pg = await LocalPostgres.StartAsync(_directory, Port, null, TextWriter.Null, default, Backups.Tool);
        Superuser = new NpgsqlConnectionStringBuilder(_pg.ConnectionString("postgres")) { Pooling = false }.ConnectionString;
        var backup = await Backups.BackupAsync("full", CancellationToken.None);
        // A time noted by a test must be one the backup can be restored to: wait for the database's clock to pass it.
        while (await ScalarAsync<DateTime>("select clock_timestamp()") < backup.RestorableFrom.UtcDateTime)
        {
            await ScalarAsync<DateTime>("select clock_timestamp() from pg_sleep(0.05)");
        }
    }

    /// <summary>Removes what an earlier run left in <paramref name="directory"/>, killing its server first if it still
    /// runs (a run that was killed may have left it running). Not started and stopped: a clean stop waits for its
    /// last WAL segment to be archived, and an earlier run's repository (an S3 server of that run) may be gone.</summary>
    public static async Task StartAfreshAsync(string directory)
    {
        var pidFile = Path.Combine(directory, "data", "postmaster.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid))
        {
            try
            {
                using var server = System.Diagnostics.Process.GetProcessById(pid);
                if (server.ProcessName == "postgres")
                {
                    server.Kill(entireProcessTree: true);
                    await server.WaitForExitAsync();
                }
            }
            catch (ArgumentException)
            {
                // Not running any more.
            }
        }
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(Superuser);
        await conn.ExecuteAsync(sql);
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var conn = new NpgsqlConnection(Superuser);
        return (await conn.ExecuteScalarAsync<T>(sql))!;
    }

    public async Task<List<int>> RowsAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(Superuser);
        return [.. await conn.QueryAsync<int>(sql)];
    }

    public async Task DisposeAsync()
    {
        if (_pg is not null)
        {
            await _pg.StopAsync();
        }
    }
}
