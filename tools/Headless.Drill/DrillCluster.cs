using System.Globalization;
using System.Security.Cryptography;
using Headless.Api.Platform.Database;
using Headless.Api.Platform.Hosting;
using Headless.Cluster;
using Npgsql;

namespace Headless.Drill;

/// <summary>
/// The cluster topology for a drill, in a folder of its own (deleted first) on ports from <c>basePort</c>.
/// One difference from <c>./build.sh cluster</c>: every API process gets a multi-host connection string
/// (primary, then standby, <c>Target Session Attributes=primary</c>, host recheck every second), so after
/// the standby is promoted the Npgsql pools find the new primary by themselves; nothing is restarted or
/// reconfigured. The logins' passwords are written before the cluster starts (LocalLogins keeps the files
/// it finds), which is what lets the connection strings exist before the topology does.
/// </summary>
public static class DrillCluster
{
    public static async Task<ClusterTopology> StartAsync(string directory, int basePort, int webInstances,
        IReadOnlyDictionary<string, string> settings, TextWriter log, CancellationToken ct)
    {
        KillLeftovers(directory);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
        var secrets = Path.Combine(directory, "pg-primary");
        Directory.CreateDirectory(secrets);
        var owner = NewSecret(Path.Combine(secrets, "owner-password"));
        var app = NewSecret(Path.Combine(secrets, "app-password"));
        var environment = new Dictionary<string, string>(settings)
        {
            ["Headless__Database__ConnectionString"] = MultiHost(basePort, LocalLogins.AppLogin, app),
            ["Headless__Database__MigrationConnectionString"] = MultiHost(basePort, LocalLogins.OwnerRole, owner),
        };
        return await ClusterTopology.StartAsync(new ClusterOptions(
            Directory: directory,
            BasePort: basePort,
            WebInstances: webInstances,
            ApiDll: DrillPaths.ReleaseApiDll,
            HaproxyTemplate: Path.Combine(RepoPaths.Root, "ops", "haproxy", "haproxy.cfg"))
        {
            Environment = environment,
            Log = log,
        }, ct);
    }

    private static string MultiHost(int basePort, string user, string password) => new NpgsqlConnectionStringBuilder
    {
        Host = $"127.0.0.1:{basePort + 1},127.0.0.1:{basePort + 2}",
        Username = user,
        Password = password,
        Database = ClusterTopology.Database,
        TargetSessionAttributes = "primary",
        HostRecheckSeconds = 1,
    }.ConnectionString;

    private static string NewSecret(string path)
    {
        var secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        File.WriteAllText(path, secret);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return secret;
    }

    /// <summary>Servers a crashed earlier run left behind in this folder (by the pid files it wrote there).</summary>
    private static void KillLeftovers(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }
        foreach (var pidFile in Directory.EnumerateFiles(directory, "postmaster.pid", SearchOption.AllDirectories))
        {
            if (int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), CultureInfo.InvariantCulture, out var pid))
            {
                ProcessTree.Kill(pid);
            }
        }
    }
}
