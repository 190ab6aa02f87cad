using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Headless.Api.Platform.Database;

/// <summary>Where pgBackRest keeps backups and archived WAL: a local folder by default, S3 in production
/// (configuration <c>Headless:Backups:Repository:*</c>; docs/operations.md, "Backups and recovery").</summary>
public sealed record BackupRepository(
    string Type,
    string Path,
    string? S3Bucket = null,
    string? S3Region = null,
    string? S3Endpoint = null,
    string? S3Key = null,
    string? S3KeySecret = null,
    string? S3UriStyle = null,
    int? S3Port = null,
    bool S3VerifyTls = true)
{
    public static BackupRepository Folder(string path) => new("posix", System.IO.Path.GetFullPath(path));

    /// <summary>The repository from <c>Headless:Backups:Repository:*</c> (environment
    /// <c>Headless__Backups__Repository__Type=s3</c>, <c>__S3Bucket</c>, <c>__S3Region</c>, <c>__S3Endpoint</c>, <c>__S3Key</c>,
    /// <c>__S3KeySecret</c>, optional <c>__S3UriStyle</c> (host|path), <c>__S3Port</c>, <c>__S3VerifyTls</c>, <c>__Path</c>);
    /// a folder, <paramref name="defaultFolder"/>, when nothing is set.</summary>
    public static BackupRepository FromSettings(Func<string, string?> setting, string defaultFolder)
    {
        string? Get(string key) => setting("Headless:Backups:Repository:" + key) is { Length: > 0 } value ? value : null;
        var type = Get("Type") ?? "posix";
        if (type is "posix" or "folder")
        {
            return Folder(Get("Path") ?? defaultFolder);
        }
        if (type != "s3")
        {
            throw new InvalidOperationException($"Headless:Backups:Repository:Type is '{type}': use 'posix' (a folder) or 's3'.");
        }
        var missing = new[] { "S3Bucket", "S3Region", "S3Endpoint", "S3Key", "S3KeySecret" }.Where(k => Get(k) is null).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"An S3 backup repository needs {string.Join(", ", missing.Select(k => "Headless__Backups__Repository__" + k))}.");
        }
        return new BackupRepository("s3", Get("Path") ?? "/headless", Get("S3Bucket"), Get("S3Region"), Get("S3Endpoint"), Get("S3Key"), Get("S3KeySecret"),
            Get("S3UriStyle"), Get("S3Port") is { } port ? int.Parse(port, CultureInfo.InvariantCulture) : null, Get("S3VerifyTls") != "false");
    }

    public string Describe() => Type == "s3" ? $"s3://{S3Bucket}{Path} ({S3Endpoint}, {S3Region})" : Path;
}

/// <summary>
/// pgBackRest (Debian's package) for one <see cref="LocalPostgres"/> cluster: one stanza, <c>headless</c>, its
/// configuration written beside the cluster (<c>pgbackrest.conf</c>, readable by the server user only: it may hold
/// S3 keys), its lock, log and spool folders there too. PostgreSQL's archive_command pushes each WAL segment through
/// it; backups and restores run it as the server user, as PostgreSQL itself does.
/// </summary>
public sealed class PgBackRest
{
    public const string Executable = "/usr/bin/pgbackrest";
    public const string Stanza = "headless";

    public PgBackRest(string clusterDirectory, int port, BackupRepository repository)
    {
        ClusterDirectory = System.IO.Path.GetFullPath(clusterDirectory);
        Port = port;
        Repository = repository;
        ConfigFile = System.IO.Path.Combine(ClusterDirectory, "pgbackrest.conf");
    }

    public string ClusterDirectory { get; }
    public int Port { get; }
    public BackupRepository Repository { get; }
    public string ConfigFile { get; }

    /// <summary>archive_timeout: 60 s (issue 13) unless set; the DR drill measures other values.</summary>
    public int ArchiveTimeoutSeconds { get; init; } = 60;
    public string DataDirectory => System.IO.Path.Combine(ClusterDirectory, "data");

    public static bool IsInstalled => File.Exists(Executable);

    /// <summary>What PostgreSQL runs for each finished WAL segment.</summary>
    public string ArchiveCommand => $"{Executable} --config={ConfigFile} --stanza={Stanza} archive-push %p";

    /// <summary>pgbackrest.conf for this cluster and repository.</summary>
    public string ConfigText()
    {
        var work = System.IO.Path.Combine(ClusterDirectory, "pgbackrest");
        var conf = new StringBuilder()
            .AppendLine("# Written by Headless (api/Platform/Database/PgBackRest.cs); ops/pgbackrest/pgbackrest.conf explains the options.")
            .AppendLine("[global]")
            .AppendLine(CultureInfo.InvariantCulture, $"repo1-type={Repository.Type}")
            .AppendLine(CultureInfo.InvariantCulture, $"repo1-path={Repository.Path}")
            .AppendLine("repo1-retention-full=2")
            .AppendLine("compress-type=lz4")
            .AppendLine("start-fast=y")
            .AppendLine("archive-async=n")
            .AppendLine("process-max=2")
            .AppendLine(CultureInfo.InvariantCulture, $"lock-path={work}/lock")
            .AppendLine(CultureInfo.InvariantCulture, $"log-path={work}/log")
            .AppendLine(CultureInfo.InvariantCulture, $"spool-path={work}/spool")
            .AppendLine("log-level-console=warn")
            .AppendLine("log-level-file=info");
        if (Repository.Type == "s3")
        {
            conf.AppendLine(CultureInfo.InvariantCulture, $"repo1-s3-bucket={Repository.S3Bucket}")
                .AppendLine(CultureInfo.InvariantCulture, $"repo1-s3-region={Repository.S3Region}")
                .AppendLine(CultureInfo.InvariantCulture, $"repo1-s3-endpoint={Repository.S3Endpoint}")
                .AppendLine(CultureInfo.InvariantCulture, $"repo1-s3-key={Repository.S3Key}")
                .AppendLine(CultureInfo.InvariantCulture, $"repo1-s3-key-secret={Repository.S3KeySecret}");
            if (Repository.S3UriStyle is { } style)
            {
                conf.AppendLine(CultureInfo.InvariantCulture, $"repo1-s3-uri-style={style}");
            }
            if (Repository.S3Port is { } port)
            {
                conf.AppendLine(CultureInfo.InvariantCulture, $"repo1-storage-port={port}");
            }
            if (!Repository.S3VerifyTls)
            {
                conf.AppendLine("repo1-storage-verify-tls=n");
            }
        }
        return conf
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"[{Stanza}]")
            .AppendLine(CultureInfo.InvariantCulture, $"pg1-path={DataDirectory}")
            .AppendLine(CultureInfo.InvariantCulture, $"pg1-port={Port}")
            .AppendLine(CultureInfo.InvariantCulture, $"pg1-socket-path={System.IO.Path.Combine(ClusterDirectory, "run")}")
            .AppendLine("pg1-user=postgres")
            .ToString();
    }

    /// <summary>Writes pgbackrest.conf and creates the repository folder (for a local one), owned by the server user.</summary>
    public void WriteConfig()
    {
        foreach (var folder in new[] { "lock", "log", "spool" })
        {
            System.IO.Directory.CreateDirectory(System.IO.Path.Combine(ClusterDirectory, "pgbackrest", folder));
        }
        File.WriteAllText(ConfigFile, ConfigText());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(ConfigFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        LocalPostgres.GiveToServerUser(ClusterDirectory);
        if (Repository.Type == "posix")
        {
            System.IO.Directory.CreateDirectory(Repository.Path);
            LocalPostgres.GiveToServerUser(Repository.Path);
        }
    }

    /// <summary>Creates the stanza, or checks that the existing one belongs to this cluster (pgBackRest refuses a
    /// repository that holds another cluster's backups, with a message naming both system ids).</summary>
    public async Task StanzaCreateAsync(CancellationToken ct) => await RunAsync(["stanza-create"], null, ct);

    /// <summary>Runs <c>pgbackrest --config=... --stanza=headless ARGS</c> as the server user; throws with its output on
    /// failure. <paramref name="onLine"/> receives each line as it comes (progress).</summary>
    public async Task<string> RunAsync(IReadOnlyList<string> args, Action<string>? onLine, CancellationToken ct, bool throwOnError = true)
    {
        var (exit, output) = await TryRunAsync(args, onLine, ct);
        if (throwOnError && exit != 0)
        {
            throw new PgBackRestException(args[0], exit, output.Trim());
        }
        return output;
    }

    public async Task<(int Exit, string Output)> TryRunAsync(IReadOnlyList<string> args, Action<string>? onLine, CancellationToken ct)
    {
        string[] full = [$"--config={ConfigFile}", $"--stanza={Stanza}", .. args];
        var psi = LocalPostgres.RunsAsServerUser
            ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", Executable, .. full])
            : new ProcessStartInfo(Executable, full);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.WorkingDirectory = "/";
        using var process = Process.Start(psi)!;
        var output = new StringBuilder();
        var gate = new Lock();
        void Collect(object? _, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }
            lock (gate)
            {
                output.AppendLine(e.Data);
            }
            onLine?.Invoke(e.Data);
        }
        process.OutputDataReceived += Collect;
        process.ErrorDataReceived += Collect;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await process.WaitForExitAsync(ct);
        lock (gate)
        {
            return (process.ExitCode, output.ToString());
        }
    }
}

public sealed class PgBackRestException(string command, int exit, string output)
    : Exception($"pgbackrest {command} failed (exit {exit}): {output}")
{
    public int Exit { get; } = exit;
    public string Output { get; } = output;
}
