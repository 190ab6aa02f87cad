using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Headless.Api.Platform.Telemetry;

/// <summary>
/// Who may read `/metrics`: a client address inside `Headless:Metrics:AllowedNetworks` (CIDR ranges;
/// loopback when unset), or a request with `Authorization: Bearer {Headless:Metrics:ScrapeToken}`.
/// Everyone else gets the 404 of a route that does not exist, so the endpoint is not advertised. The
/// address is the one ClientAddresses resolved (X-Forwarded-For counts only from a trusted proxy).
/// </summary>
public sealed class MetricsAccess
{
    public const string NetworksKey = "Headless:Metrics:AllowedNetworks";
    public const string TokenKey = "Headless:Metrics:ScrapeToken";

    private static readonly IPNetwork[] Loopback = [IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128")];

    private readonly IPNetwork[] _networks;
    private readonly byte[]? _token;

    private MetricsAccess(IPNetwork[] networks, byte[]? token) => (_networks, _token) = (networks, token);

    /// <summary>The configured access, and a message for every network entry that is not a CIDR range.</summary>
    public static (MetricsAccess Access, IReadOnlyList<string> Errors) Read(IConfiguration config)
    {
        var errors = new List<string>();
        var networks = new List<IPNetwork>();
        var section = config.GetSection(NetworksKey);
        var values = section.GetChildren().Any() ? section.GetChildren().Select(c => c.Value ?? "") : [section.Value ?? ""];
        foreach (var entry in values.SelectMany(v => v.Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (IPNetwork.TryParse(entry, out var network))
            {
                networks.Add(network);
            }
            else
            {
                errors.Add($"{NetworksKey.Replace(":", "__", StringComparison.Ordinal)}: '{entry}' is not a CIDR range such as 10.0.0.0/16.");
            }
        }
        var token = config[TokenKey];
        return (new MetricsAccess(networks.Count > 0 ? [.. networks] : Loopback,
            string.IsNullOrEmpty(token) ? null : Encoding.UTF8.GetBytes("Bearer " + token)), errors);
    }

    public bool Allows(HttpContext http)
    {
        if (http.Connection.RemoteIpAddress is { } address)
        {
            var ip = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
            foreach (var network in _networks)
            {
                if (network.Contains(ip))
                {
                    return true;
                }
            }
        }
        return _token is not null && http.Request.Headers.Authorization is [{ } header]
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header), _token);
    }
}
