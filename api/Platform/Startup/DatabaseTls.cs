using System.Net;
using Npgsql;

namespace Headless.Api.Platform.Startup;

/// <summary>The rule for a production connection to PostgreSQL: TLS with the server's certificate verified, so neither
/// the traffic nor the server can be faked. A loopback address or a Unix socket never leaves the machine, so it may go
/// without (a sidecar proxy, the benchmark and the tests' own cluster).</summary>
public static class DatabaseTls
{
    public static bool IsVerifiedOrLocal(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException)
        {
            return false;
        }
        if (builder.SslMode == SslMode.VerifyFull)
        {
            return true;
        }
        var hosts = (builder.Host ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return hosts.Length > 0 && hosts.All(IsLocal);
    }

    private static bool IsLocal(string host)
    {
        // A multi-host entry may carry its port: "10.0.0.1:5432" or "[::1]:5432".
        var name = host.StartsWith('[') && host.IndexOf(']', StringComparison.Ordinal) is > 0 and var end ? host[1..end]
            : host.Count(c => c == ':') == 1 ? host[..host.IndexOf(':', StringComparison.Ordinal)] : host;
        return name.StartsWith('/') || name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(name, out var address) && IPAddress.IsLoopback(address));
    }
}
