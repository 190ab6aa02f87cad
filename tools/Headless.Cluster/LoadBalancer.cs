using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Headless.Cluster;

/// <summary>HAProxy (Debian's) in front of the web instances, configured from ops/haproxy/haproxy.cfg.</summary>
public sealed class LoadBalancer : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/haproxy";

    private readonly Process _process;

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";

    private LoadBalancer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    /// <summary>Why HAProxy cannot run here, or null when it can.</summary>
    public static string? Missing() =>
        File.Exists(Binary) ? null : $"HAProxy is not installed ({Binary} is missing): `./build.sh ensure-haproxy` or `apt-get install haproxy`.";

    /// <summary>The template with its placeholders filled: where to listen and one `server` line per web instance.</summary>
    public static string Configuration(string template, int port, IEnumerable<ApiInstance> web)
    {
        var servers = new StringBuilder();
        foreach (var instance in web)
        {
            servers.Append(CultureInfo.InvariantCulture, $"    server {instance.Name} 127.0.0.1:{instance.Port}\n");
        }
        return template.Replace("{{BIND}}", $"127.0.0.1:{port}", StringComparison.Ordinal)
            .Replace("{{SERVERS}}\n", servers.ToString(), StringComparison.Ordinal);
    }

    public static async Task<LoadBalancer> StartAsync(string template, int port, IEnumerable<ApiInstance> web, string directory, CancellationToken ct = default)
    {
        Directory.CreateDirectory(directory);
        var config = Path.Combine(directory, "haproxy.cfg");
        await File.WriteAllTextAsync(config, Configuration(template, port, web), ct);
        var logFile = Path.Combine(directory, "haproxy.log");
        // -db: stay in the foreground, so the process we hold is HAProxy and it stops with us.
        var psi = new ProcessStartInfo("bash", ["-c", "exec \"$0\" -db -f \"$1\" >>\"$2\" 2>&1", Binary, config, logFile]) { UseShellExecute = false };
        var balancer = new LoadBalancer(Process.Start(psi)!, port);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            if (balancer._process.HasExited)
            {
                throw new InvalidOperationException($"HAProxy exited ({balancer._process.ExitCode}): {await File.ReadAllTextAsync(logFile, ct)}");
            }
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync("127.0.0.1", port, ct);
                return balancer;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, ct);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
