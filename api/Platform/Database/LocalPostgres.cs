using System.Diagnostics;
using System.Security.Cryptography;
using Npgsql;

namespace Headless.Api.Platform.Database;

/// <summary>
/// A private PostgreSQL 15 cluster under a folder of ours (initdb + pg_ctl, own port and socket), the
/// embedded default when no connection string is configured. Runs the server as the `postgres` OS user
/// when we are root, because PostgreSQL refuses to run as root.
/// </summary>
public sealed class LocalPostgres : IAsyncDisposable
{
    private const string BinDir = "/usr/lib/postgresql/15/bin";
    private readonly string _dataDir;
    private readonly string _socketDir;
    private readonly string _passwordFile;
    private readonly bool _stopOnDispose;

    public int Port { get; }
    public string Directory { get; }
    public string Password { get; }

    private LocalPostgres(string directory, int port, string password, bool stopOnDispose)
    {
        Directory = directory;
        Port = port;
        Password = password;
        _stopOnDispose = stopOnDispose;
        _dataDir = Path.Combine(directory, "data");
        _socketDir = Path.Combine(directory, "run");
        _passwordFile = Path.Combine(directory, "superuser-password");
    }

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Password = Password,
        Database = database,
    }.ConnectionString;

    /// <summary>Creates the cluster on first use, starts it unless it is already running, and creates
    /// <paramref name="database"/> when given. When the server was already up (left by an earlier run),
    /// it is reused and left running on dispose.</summary>
    public static async Task<LocalPostgres> StartAsync(string directory, int port, string? database, TextWriter log, CancellationToken ct = default,
        PgBackRest? walArchive = null)
    {
        if (!File.Exists(Path.Combine(BinDir, "pg_ctl")))
        {
            throw new InvalidOperationException(
                $"PostgreSQL 15 is not installed ({BinDir} is missing). Run `./build.sh run` (it installs it) or `apt-get install postgresql-15`.");
        }
        directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(directory);
        var passwordFile = Path.Combine(directory, "superuser-password");
        if (!File.Exists(passwordFile))
        {
            File.WriteAllText(passwordFile, Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant());
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
        var password = File.ReadAllText(passwordFile).Trim();
        var pg = new LocalPostgres(directory, port, password, stopOnDispose: true);
        await pg.InitAsync(log, ct);
        if (walArchive is not null)
        {
            await pg.ConfigureWalArchivingAsync(walArchive, ct);
        }
        var alreadyRunning = await pg.IsRunningAsync(ct);
        if (!alreadyRunning)
        {
            await pg.StartServerAsync(log, ct);
        }
        pg = new LocalPostgres(directory, port, password, stopOnDispose: !alreadyRunning);
        if (walArchive is not null)
        {
            await walArchive.StanzaCreateAsync(ct);
        }
        if (database is not null)
        {
            await pg.EnsureDatabaseAsync(database, ct);
        }
        return pg;
    }

    private async Task InitAsync(TextWriter log, CancellationToken ct)
    {
        if (File.Exists(Path.Combine(_dataDir, "PG_VERSION")))
        {
            return;
        }
        log.WriteLine($"Creating a private PostgreSQL cluster in {_dataDir} ...");
        System.IO.Directory.CreateDirectory(_dataDir);
        System.IO.Directory.CreateDirectory(_socketDir);
        // initdb wants the password in a file the server user can read; it is removed right after.
        var pwTemp = Path.Combine(Directory, "initdb-pw");
        await File.WriteAllTextAsync(pwTemp, Password, ct);
        GiveToServerUser(Directory);
        try
        {
            await RunAsync("initdb", ["-D", _dataDir, "-U", "postgres", "--pwfile", pwTemp, "--auth-local=peer",
                "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"], ct);
        }
        finally
        {
            File.Delete(pwTemp);
        }
        await File.AppendAllTextAsync(Path.Combine(_dataDir, "postgresql.conf"), $"""

            # headless: a private cluster on loopback only
            listen_addresses = '127.0.0.1'
            port = {Port}
            unix_socket_directories = '{_socketDir}'
            max_connections = 300
            shared_buffers = 512MB
            logging_collector = off
            """, ct);
    }

    public string DataDirectory => _dataDir;

    /// <summary>WAL archiving through pgBackRest (docs/operations.md, "Backups and recovery"): every finished WAL
    /// segment is pushed to the backup repository, and a segment is finished at least every
    /// <see cref="PgBackRest.ArchiveTimeoutSeconds"/> seconds when anything was written, which bounds what a restore can lose.
    /// The settings live in their own file, included from postgresql.conf, so a cluster created before this
    /// gets them on its next start (archive_mode takes effect only at a start).</summary>
    private async Task ConfigureWalArchivingAsync(PgBackRest archive, CancellationToken ct)
    {
        archive.WriteConfig();
        await File.WriteAllTextAsync(Path.Combine(_dataDir, ArchiveSettingsFile), $"""
            # headless: WAL archiving through pgBackRest (written at every start by LocalPostgres)
            archive_mode = on
            archive_command = '{archive.ArchiveCommand}'
            archive_timeout = {archive.ArchiveTimeoutSeconds}
            wal_level = replica
            """, ct);
        var conf = Path.Combine(_dataDir, "postgresql.conf");
        var include = $"include_if_exists = '{ArchiveSettingsFile}'";
        if (!(await File.ReadAllLinesAsync(conf, ct)).Contains(include))
        {
            await File.AppendAllTextAsync(conf, $"\n{include}\n", ct);
        }
        GiveToServerUser(Directory);
    }

    private const string ArchiveSettingsFile = "headless-archive.conf";

    public async Task<bool> IsRunningAsync(CancellationToken ct)
    {
        var (exit, _) = await RunAsync("pg_ctl", ["status", "-D", _dataDir], ct, throwOnError: false);
        return exit == 0;
    }

    private async Task StartServerAsync(TextWriter log, CancellationToken ct)
    {
        System.IO.Directory.CreateDirectory(_socketDir);
        GiveToServerUser(Directory);
        log.WriteLine($"Starting PostgreSQL on 127.0.0.1:{Port} (data {_dataDir}) ...");
        var logFile = Path.Combine(Directory, "postgres.log");
        await RunAsync("pg_ctl", ["start", "-D", _dataDir, "-l", logFile, "-w", "-t", "60", "-o", $"-p {Port}"], ct);
    }

    public async Task StopAsync()
    {
        await RunAsync("pg_ctl", ["stop", "-D", _dataDir, "-m", "fast", "-w", "-t", "60"], CancellationToken.None, throwOnError: false);
    }

    private async Task EnsureDatabaseAsync(string database, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(ConnectionString("postgres"));
        await conn.OpenAsync(ct);
        await using var exists = new NpgsqlCommand("select 1 from pg_database where datname = $1", conn);
        exists.Parameters.AddWithValue(database);
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            // Identifiers cannot be parameters; the name is quoted and comes from configuration, not from users.
            await using var create = new NpgsqlCommand($"create database \"{database.Replace("\"", "\"\"")}\"", conn);
            await create.ExecuteNonQueryAsync(ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopOnDispose)
        {
            await StopAsync();
        }
    }

    // Streaming replication (tools/Headless.Cluster): a hot standby of this cluster for scale-out tests and the failover drill.
    public const string ReplicationLogin = "headless_replicator";

    /// <summary>Makes this (primary) cluster ready to stream to a standby: replication settings and a pg_hba line
    /// for <see cref="ReplicationLogin"/> (written once, applied by a reload: wal_level stays at its default,
    /// replica), and the login itself. Returns its password (kept in the cluster's folder).</summary>
    public async Task<string> EnsureReplicationAsync(CancellationToken ct = default)
    {
        var passwordFile = Path.Combine(Directory, "replication-password");
        if (!File.Exists(passwordFile))
        {
            await File.WriteAllTextAsync(passwordFile, Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant(), ct);
        }
        var password = (await File.ReadAllTextAsync(passwordFile, ct)).Trim();
        var conf = Path.Combine(_dataDir, "postgresql.conf");
        if (!(await File.ReadAllTextAsync(conf, ct)).Contains("# headless: streaming replication", StringComparison.Ordinal))
        {
            await File.AppendAllTextAsync(conf, """

                # headless: streaming replication to a hot standby (tools/Headless.Cluster)
                wal_level = replica
                max_wal_senders = 10
                wal_keep_size = 1GB
                hot_standby = on
                hot_standby_feedback = on
                """, ct);
            await File.AppendAllTextAsync(Path.Combine(_dataDir, "pg_hba.conf"),
                $"\nhost replication {ReplicationLogin} 127.0.0.1/32 scram-sha-256\n", ct);
            GiveToServerUser(Directory);
            await RunAsync("pg_ctl", ["reload", "-D", _dataDir], ct);
        }
        await using var conn = new NpgsqlConnection(ConnectionString("postgres"));
        await conn.OpenAsync(ct);
        // The password is ours (hex), so the literal needs no escaping.
        await using var exists = new NpgsqlCommand($"select 1 from pg_roles where rolname = '{ReplicationLogin}'", conn);
        var verb = await exists.ExecuteScalarAsync(ct) is null ? "create" : "alter";
        await using var role = new NpgsqlCommand($"{verb} role {ReplicationLogin} with replication login password '{password}'", conn);
        await role.ExecuteNonQueryAsync(ct);
        return password;
    }

    /// <summary>A hot standby of <paramref name="primary"/> in <paramref name="directory"/>: copied with
    /// `pg_basebackup -R` (which writes primary_conninfo and standby.signal) the first time, then started on its
    /// own port and socket. It answers read-only queries while it replays the primary's WAL.</summary>
    public static async Task<LocalPostgres> StartStandbyAsync(LocalPostgres primary, string directory, int port, TextWriter log, CancellationToken ct = default)
    {
        directory = Path.GetFullPath(directory);
        var standby = new LocalPostgres(directory, port, primary.Password, stopOnDispose: true);
        if (!File.Exists(Path.Combine(standby._dataDir, "PG_VERSION")))
        {
            var replicationPassword = await primary.EnsureReplicationAsync(ct);
            System.IO.Directory.CreateDirectory(directory);
            await File.WriteAllTextAsync(standby._passwordFile, primary.Password, ct);
            GiveToServerUser(directory);
            log.WriteLine($"Copying the primary into a hot standby in {standby._dataDir} (pg_basebackup) ...");
            await RunAsync("pg_basebackup", ["-D", standby._dataDir, "-R", "-X", "stream", "-c", "fast",
                "-d", $"host=127.0.0.1 port={primary.Port} user={ReplicationLogin} password={replicationPassword} application_name=headless_standby"], ct);
            await File.AppendAllTextAsync(Path.Combine(standby._dataDir, "postgresql.conf"), $"""

                # headless: this copy is the hot standby
                port = {port}
                unix_socket_directories = '{standby._socketDir}'
                """, ct);
        }
        if (!await standby.IsRunningAsync(ct))
        {
            await standby.StartServerAsync(log, ct);
        }
        return standby;
    }

    /// <summary>Ends recovery: the standby becomes a primary that takes writes (`pg_ctl promote`).</summary>
    public async Task PromoteAsync(CancellationToken ct = default) =>
        await RunAsync("pg_ctl", ["promote", "-D", _dataDir, "-w", "-t", "60"], ct);

    private static bool IsRoot => Environment.UserName == "root";

    /// <summary>True when the server's tools run as the `postgres` OS user (we are root).</summary>
    public static bool RunsAsServerUser => IsRoot;

    public static void GiveToServerUser(string directory)
    {
        if (!IsRoot)
        {
            return;
        }
        using var chown = Process.Start("chown", ["-R", "postgres:postgres", directory])!;
        chown.WaitForExit();
        if (chown.ExitCode != 0)
        {
            throw new InvalidOperationException($"Could not hand {directory} to the postgres user (chown exit {chown.ExitCode}).");
        }
    }

    private static async Task<(int Exit, string Output)> RunAsync(string tool, string[] args, CancellationToken ct, bool throwOnError = true)
    {
        var psi = IsRoot
            ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", Path.Combine(BinDir, tool), .. args])
            : new ProcessStartInfo(Path.Combine(BinDir, tool), args);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.WorkingDirectory = "/";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var output = (await stdout) + (await stderr);
        if (throwOnError && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} failed (exit {process.ExitCode}): {output.Trim()}");
        }
        return (process.ExitCode, output);
    }
}
