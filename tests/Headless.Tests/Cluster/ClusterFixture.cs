using Headless.Api.Platform.Hosting;
using Headless.Api.Platform.Security;
using Headless.Cluster;
using Headless.Tests.Email;
using Npgsql;

namespace Headless.Tests.Cluster;

/// <summary>Skipped, saying why, where HAProxy is not installed (`./build.sh ensure-haproxy` installs it).</summary>
public sealed class ClusterFactAttribute : FactAttribute
{
    public ClusterFactAttribute()
    {
        if (LoadBalancer.Missing() is { } missing)
        {
            Skip = missing;
        }
    }
}

/// <summary>
/// The real scale-out topology, started once for the class by the same code as `./build.sh cluster`:
/// PostgreSQL primary + streaming hot standby, one worker and three web API processes (the built
/// Headless.Api.dll), HAProxy in front, mail to a real SMTP server. Everything under a temporary folder,
/// on ports 26450–26499.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const int LoginPerMinute = 5;

    public ClusterTopology Topology { get; private set; } = null!;
    public SmtpSink Smtp { get; private set; } = null!;
    public string AdminKey { get; private set; } = "";
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "headless-cluster-" + Guid.NewGuid().ToString("N")[..10]);

    public async Task InitializeAsync()
    {
        if (LoadBalancer.Missing() is not null)
        {
            return;
        }
        Smtp = await SmtpSink.StartAsync();
        var configuration = AppContext.BaseDirectory.Contains("/bin/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
        Topology = await ClusterTopology.StartAsync(new ClusterOptions(
            Directory: Root,
            BasePort: 26450,
            WebInstances: 3,
            ApiDll: Path.Combine(RepoPaths.Root, "api", "bin", configuration, "net10.0", "Headless.Api.dll"),
            HaproxyTemplate: Path.Combine(RepoPaths.Root, "ops", "haproxy", "haproxy.cfg"))
        {
            Environment = new Dictionary<string, string>
            {
                ["Headless__Catalog__DemoProductCount"] = "30",
                ["Headless__Storefront__SiteDirectory"] = Path.Combine(Root, "site"),
                ["Headless__Email__Smtp__Host"] = "127.0.0.1",
                ["Headless__Email__Smtp__Port"] = Smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Headless__Accounts__LoginPerMinute"] = LoginPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Headless__Accounts__RegisterPerMinute"] = "10000",
                ["Headless__Accounts__ForgotPasswordPerMinute"] = "10000",
            },
        });
        Db = NpgsqlDataSource.Create(Topology.Logins.Owner);
        await using var conn = await Db.OpenConnectionAsync();
        AdminKey = (await ApiKeys.IssueAsync(conn, "cluster test admin", [Scopes.Admin])).Secret;
    }

    /// <summary>As the schema owner on the primary.</summary>
    public NpgsqlDataSource Db { get; private set; } = null!;

    public async Task DisposeAsync()
    {
        if (Db is not null)
        {
            await Db.DisposeAsync();
        }
        if (Topology is not null)
        {
            await Topology.DisposeAsync();
        }
        if (Smtp is not null)
        {
            await Smtp.DisposeAsync();
        }
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
