using System.Globalization;
using Headless.Api.Platform.Database;
using Headless.Api.Platform.Hosting;

namespace Headless.Backup;

// ./build.sh backup [--type=full|diff|incr] | restore --to=<ISO time|latest> | backup-info | dr-drill [--products=N --orders=N ...]
// The cluster is the API's private one (.data/pg, port 54329; Headless__LocalPostgres__Directory / __Port move it),
// the repository .data/backups or the one in Headless__Backups__Repository__* (docs/operations.md).
public static class BackupProgram
{
    public static Task<int> Main(string[] args) => DrillConsole.RunAsync(async ct =>
    {
        var a = new DrillArguments(args);
        string? Setting(string key) => Environment.GetEnvironmentVariable(key.Replace(":", "__", StringComparison.Ordinal));
        var directory = Setting("Headless:LocalPostgres:Directory") ?? Path.Combine(RepoPaths.Data, "pg");
        var port = int.Parse(Setting("Headless:LocalPostgres:Port") ?? "54329", CultureInfo.InvariantCulture);
        var backups = new ClusterBackups(directory, port, BackupRepository.FromSettings(Setting, Path.Combine(RepoPaths.Data, "backups")), Console.Out);
        switch (a.Command)
        {
            case "backup":
                await backups.BackupAsync(a.Text("type", "full"), ct);
                return 0;
            case "restore":
                // Parsed before anything is touched: a bad value never stops the cluster.
                var target = RestoreTarget.Parse(a.Text("to"));
                await backups.RestoreAsync(target, ct);
                return 0;
            case "backup-info":
                foreach (var b in await backups.BackupsAsync(ct))
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{b.Label} {b.Type,-4} finished {b.Stopped:yyyy-MM-ddTHH:mm:ssZ} {b.Size / 1048576.0,8:F1} MiB  WAL {b.WalStart} … {b.WalStop}"));
                }
                return 0;
            case "dr-drill":
                return await new DrDrill(DrDrillOptions.From(a), Console.Out).RunAsync(ct);
            default:
                Console.Error.WriteLine("Usage: Headless.Backup backup [--type=full|diff|incr] | restore --to=<ISO 8601 time with offset|latest> | backup-info | dr-drill [--products=100000 --orders=1000000 --seconds=60]");
                return 2;
        }
    }, e => e is BackupError or PgBackRestException);
}
