using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Headless.Api.Platform.Database;
using Npgsql;

namespace Headless.Backup;

public sealed record BackupSummary(string Label, string Type, long DatabaseBytes, long RepositoryBytes, TimeSpan Duration, string WalStart, string WalStop,
    DateTimeOffset RestorableFrom);

public sealed record RestoreSummary(string Target, string? BackupLabel, DateTimeOffset? LastRestoredCommit, string? RecoveryStop, TimeSpan Duration);

/// <summary>
/// Backups and point-in-time restores of one <see cref="LocalPostgres"/> cluster with pgBackRest: what
/// <c>./build.sh backup</c> and <c>./build.sh restore</c> run, and what the tests and the DR drill call.
/// A restore replaces the whole cluster (every database in it), so it refuses while anything else is connected:
/// the API must be stopped first, and nothing is touched until every check has passed.
/// </summary>
public sealed class ClusterBackups(string clusterDirectory, int port, BackupRepository repository, TextWriter log)
{
    public PgBackRest Tool { get; } = new(clusterDirectory, port, repository);

    private string DataDirectory => Tool.DataDirectory;

    private string ServerLog => Path.Combine(Path.GetFullPath(clusterDirectory), "postgres.log");

    /// <summary>Starts the cluster when it is down (and stops it again after), with WAL archiving on, then takes a
    /// backup of <paramref name="type"/> (full, diff or incr), printing pgBackRest's progress lines.</summary>
    public async Task<BackupSummary> BackupAsync(string type, CancellationToken ct)
    {
        if (type is not ("full" or "diff" or "incr"))
        {
            throw new BackupError($"--type={type} is not a backup type: use full, diff (changes since the last full) or incr (since the last backup).");
        }
        RequireInstalled();
        await using var pg = await LocalPostgres.StartAsync(clusterDirectory, port, null, log, ct, Tool);
        await using (var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(pg.ConnectionString("postgres")) { Pooling = false }.ConnectionString))
        {
            var archiveMode = await conn.ExecuteScalarAsync<string>("show archive_mode");
            if (archiveMode != "on")
            {
                throw new BackupError("WAL archiving is not on yet in the running cluster (archive_mode takes effect at a start): " +
                    "restart the API (or whatever started the cluster) once, then back up again.");
            }
        }
        log.WriteLine($"Backing up ({type}) {DataDirectory} to {repository.Describe()} ...");
        var clock = Stopwatch.StartNew();
        await Tool.RunAsync(["--log-level-console=info", "backup", $"--type={type}"], Progress, ct);
        clock.Stop();
        var last = (await BackupsAsync(ct))[^1];
        var summary = new BackupSummary(last.Label, last.Type, last.Size, last.RepositorySize, clock.Elapsed, last.WalStart, last.WalStop, last.RestorableFrom);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Backup {summary.Label} ({summary.Type}): {Mib(summary.DatabaseBytes)} of data, {Mib(summary.RepositoryBytes)} in the repository, " +
            $"{summary.Duration.TotalSeconds:F1} s; WAL {summary.WalStart} … {summary.WalStop}; restorable from {summary.RestorableFrom:yyyy-MM-ddTHH:mm:ssZ}."));
        return summary;
    }

    /// <summary>Restores the cluster to <paramref name="target"/>: checks first (a backup exists and precedes the
    /// target, nothing else is connected), pushes the current WAL to the archive when the cluster is up, stops it,
    /// restores with <c>--delta</c>, starts it, waits for recovery to end and the server to be promoted.</summary>
    public async Task<RestoreSummary> RestoreAsync(RestoreTarget target, CancellationToken ct, TimeSpan? recoveryTimeout = null)
    {
        RequireInstalled();
        if (target.Time is { } future && future > DateTimeOffset.UtcNow)
        {
            throw new BackupError($"--to={target} is in the future: use --to=latest to restore everything archived.");
        }
        Tool.WriteConfig();
        var backups = await BackupsAsync(ct);
        if (backups.Count == 0)
        {
            throw new BackupError($"There is no backup in {repository.Describe()} yet: take one with `./build.sh backup` first.");
        }
        if (target.Time is { } time && time < backups[0].RestorableFrom)
        {
            throw new BackupError($"--to={target} is before the first backup can be restored to ({backups[0].RestorableFrom:yyyy-MM-ddTHH:mm:ssZ}): " +
                "no earlier moment can be restored. Pick a later time, or --to=latest.");
        }
        var clock = Stopwatch.StartNew();
        if (IsServerRunning())
        {
            await using var running = await LocalPostgres.StartAsync(clusterDirectory, port, null, TextWriter.Null, ct);
            await RefuseIfInUseAsync(running, ct);
            await ArchiveCurrentWalAsync(running, ct);
            log.WriteLine("Stopping PostgreSQL ...");
            await running.StopAsync();
        }
        if (!Directory.Exists(DataDirectory))
        {
            Directory.CreateDirectory(DataDirectory);
        }
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        LocalPostgres.GiveToServerUser(DataDirectory);

        // --delta compares with what is in the data directory; after a lost disk there is nothing to compare with.
        List<string> args = ["--log-level-console=info", "restore"];
        if (File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            args.Add("--delta");
        }
        if (target.Time is not null)
        {
            args.AddRange(["--type=time", $"--target={target.ToPostgres()}", "--target-action=promote"]);
        }
        log.WriteLine($"Restoring {DataDirectory} to {target} from {repository.Describe()} ...");
        string? label = null;
        await Tool.RunAsync(args, line =>
        {
            var match = Regex.Match(line, @"restore backup set (\S+)");
            if (match.Success)
            {
                label = match.Groups[1].Value.TrimEnd(',');
            }
            Progress(line);
        }, ct);

        var logStart = File.Exists(ServerLog) ? new FileInfo(ServerLog).Length : 0;
        log.WriteLine("Starting PostgreSQL and replaying the archived WAL ...");
        var pg = await LocalPostgres.StartAsync(clusterDirectory, port, null, log, ct);
        await WaitForPromotionAsync(pg, recoveryTimeout ?? TimeSpan.FromHours(4), ct);
        var (lastCommit, stop) = ReadRecoveryEnd(logStart);
        clock.Stop();
        var summary = new RestoreSummary(target.ToString(), label, lastCommit, stop, clock.Elapsed);
        var commit = lastCommit is { } c ? c.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture) : "unknown";
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Restored to {summary.Target} from backup {summary.BackupLabel ?? "(chosen by pgBackRest)"} in {summary.Duration.TotalSeconds:F1} s; " +
            $"last restored commit {commit}{(stop is null ? "" : "; " + stop)}. PostgreSQL is up and writable (a new timeline); start the API."));
        return summary;
    }

    public sealed record BackupInfo(string Label, string Type, long Size, long RepositorySize, string WalStart, string WalStop, DateTimeOffset Stopped)
    {
        /// <summary>pgBackRest records the stop time in whole seconds and picks a backup only when it stopped before
        /// the target's second, so the first moment it can restore to is the next whole second.</summary>
        public DateTimeOffset RestorableFrom => Stopped.AddSeconds(1);
    }

    /// <summary>The repository's backups, oldest first (empty when there are none or no stanza yet).</summary>
    public async Task<List<BackupInfo>> BackupsAsync(CancellationToken ct)
    {
        Tool.WriteConfig();
        var (exit, output) = await Tool.TryRunAsync(["--output=json", "info"], null, ct);
        if (exit != 0)
        {
            throw new BackupError($"pgbackrest info failed (exit {exit}): {output.Trim()}");
        }
        using var json = JsonDocument.Parse(output);
        var result = new List<BackupInfo>();
        foreach (var stanza in json.RootElement.EnumerateArray())
        {
            if (!stanza.TryGetProperty("backup", out var list))
            {
                continue;
            }
            foreach (var b in list.EnumerateArray())
            {
                var info = b.GetProperty("info");
                result.Add(new BackupInfo(
                    b.GetProperty("label").GetString()!,
                    b.GetProperty("type").GetString()!,
                    info.GetProperty("size").GetInt64(),
                    info.GetProperty("repository").GetProperty("delta").GetInt64(),
                    b.GetProperty("archive").GetProperty("start").GetString() ?? "",
                    b.GetProperty("archive").GetProperty("stop").GetString() ?? "",
                    DateTimeOffset.FromUnixTimeSeconds(b.GetProperty("timestamp").GetProperty("stop").GetInt64())));
            }
        }
        return result;
    }

    private static void RequireInstalled()
    {
        if (!PgBackRest.IsInstalled)
        {
            throw new BackupError($"pgBackRest is not installed ({PgBackRest.Executable} is missing): run `./build.sh ensure-pgbackrest` (apt-get install pgbackrest).");
        }
    }

    private bool IsServerRunning()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid))
        {
            return false;
        }
        return Directory.Exists($"/proc/{pid}");
    }

    /// <summary>The API (or anyone else) still connected would write into a database about to be replaced.</summary>
    private static async Task RefuseIfInUseAsync(LocalPostgres pg, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(pg.ConnectionString("postgres")) { Pooling = false }.ConnectionString);
        await conn.OpenAsync(ct);
        var others = (await conn.QueryAsync<string>(new CommandDefinition(
            "select distinct coalesce(nullif(application_name, ''), usename, '?') from pg_stat_activity " +
            "where backend_type = 'client backend' and pid <> pg_backend_pid()", cancellationToken: ct))).ToList();
        if (others.Count > 0)
        {
            throw new BackupError($"The cluster is still in use ({string.Join(", ", others)}): stop the API (Ctrl+C in `./build.sh run`) " +
                "and anything else connected to it, then run the restore again. Nothing was changed.");
        }
    }

    /// <summary>Closes the current WAL segment and waits until pgBackRest has archived it, so a restore to
    /// `latest` of a healthy cluster loses nothing that was committed.</summary>
    private async Task ArchiveCurrentWalAsync(LocalPostgres pg, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(pg.ConnectionString("postgres")) { Pooling = false }.ConnectionString);
        await conn.OpenAsync(ct);
        if (await conn.ExecuteScalarAsync<bool>("select pg_is_in_recovery()"))
        {
            return;
        }
        var segment = await conn.ExecuteScalarAsync<string>("select pg_walfile_name(pg_switch_wal())");
        log.WriteLine($"Archiving the current WAL segment ({segment}) first ...");
        await WaitForArchivedAsync(conn, segment!, TimeSpan.FromMinutes(2), ct);
    }

    public static async Task WaitForArchivedAsync(NpgsqlConnection conn, string segment, TimeSpan timeout, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var (archived, failed) = await conn.QuerySingleAsync<(string?, string?)>(
                "select last_archived_wal, last_failed_wal from pg_stat_archiver");
            // History files (00000002.history) are archived too; only segment names compare with a segment.
            if (archived is { Length: 24 } && string.CompareOrdinal(archived, segment) >= 0)
            {
                return;
            }
            if (clock.Elapsed > timeout)
            {
                throw new BackupError($"WAL segment {segment} was not archived within {timeout.TotalSeconds:F0} s (last archived {archived ?? "none"}, " +
                    $"last failed {failed ?? "none"}): check pgbackrest's log in the cluster folder (pgbackrest/log).");
            }
            await Task.Delay(100, ct);
        }
    }

    private async Task WaitForPromotionAsync(LocalPostgres pg, TimeSpan timeout, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(pg.ConnectionString("postgres")) { Pooling = false }.ConnectionString);
        await conn.OpenAsync(ct);
        while (await conn.ExecuteScalarAsync<bool>("select pg_is_in_recovery()"))
        {
            if (clock.Elapsed > timeout)
            {
                throw new BackupError($"PostgreSQL is still replaying WAL after {timeout.TotalMinutes:F0} min: see {ServerLog}.");
            }
            if (clock.Elapsed - lastReport > TimeSpan.FromSeconds(5))
            {
                lastReport = clock.Elapsed;
                log.WriteLine($"  still replaying: at {await conn.ExecuteScalarAsync<string>("select pg_last_wal_replay_lsn()::text")} ({clock.Elapsed.TotalSeconds:F0} s)");
            }
            await Task.Delay(100, ct);
        }
    }

    /// <summary>PostgreSQL says at the end of recovery where it stopped and when the last replayed transaction
    /// committed; those lines of this start are what the operator is told.</summary>
    private (DateTimeOffset? LastCommit, string? Stop) ReadRecoveryEnd(long from)
    {
        if (!File.Exists(ServerLog))
        {
            return (null, null);
        }
        using var stream = new FileStream(ServerLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(from, SeekOrigin.Begin);
        var text = new StreamReader(stream).ReadToEnd();
        DateTimeOffset? lastCommit = null;
        foreach (Match m in Regex.Matches(text, @"last completed transaction was at log time (\S+ \S+)"))
        {
            lastCommit = DateTimeOffset.Parse(Regex.Replace(m.Groups[1].Value, @"([+-]\d\d)$", "$1:00"), CultureInfo.InvariantCulture).ToUniversalTime();
        }
        var stop = Regex.Matches(text, @"recovery stopping [^\n]*").LastOrDefault()?.Value.Trim();
        return (lastCommit, stop);
    }

    /// <summary>pgBackRest's console lines, less the option dump each command starts with.</summary>
    private void Progress(string line)
    {
        if (!line.Contains("command begin", StringComparison.Ordinal))
        {
            log.WriteLine("  " + line.Trim());
        }
    }

    private static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F1} MiB");
}
