using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Headless.Api.Platform.Hosting;

/// <summary>
/// The client's real address behind the CDN and the load balancer. `X-Forwarded-For` and
/// `X-Forwarded-Proto` are honoured only when the connection comes from a proxy we were told about
/// (`Headless:Http:KnownProxies`, IP addresses, and `Headless:Http:KnownNetworks`, CIDR ranges); ASP.NET
/// Core's default trust of loopback is cleared, so with nothing configured nobody is trusted. Walking the
/// header from the right, each trusted hop is peeled off until an untrusted one: that address is the client,
/// so a shopper who sends their own `X-Forwarded-For` only adds entries to the left of the one that counts.
/// Everything after this middleware (rate limits, audit rows via Actor.From, secure cookies) sees the
/// resolved <c>Connection.RemoteIpAddress</c>.
/// </summary>
public static class ClientAddresses
{
    public const string ProxiesKey = "Headless:Http:KnownProxies";
    public const string NetworksKey = "Headless:Http:KnownNetworks";

    /// <summary>The configured proxies and networks, and a message for every entry that is not one.</summary>
    public static (ForwardedHeadersOptions Options, IReadOnlyList<string> Errors) Read(IConfiguration config)
    {
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            // CDN → load balancer → us is two hops; stop at the first untrusted address, however many.
            ForwardLimit = null,
        };
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        var errors = new List<string>();
        foreach (var entry in Entries(config, ProxiesKey))
        {
            if (TryParseAddress(entry, out var address))
            {
                options.KnownProxies.Add(address);
            }
            else
            {
                errors.Add($"{EnvName(ProxiesKey)}: '{entry}' is not an IP address (use {EnvName(NetworksKey)} for a CIDR range).");
            }
        }
        foreach (var entry in Entries(config, NetworksKey))
        {
            if (entry.Split('/') is [var first, _] && TryParseAddress(first, out var start)
                && System.Net.IPNetwork.TryParse(entry, out var network) && network.BaseAddress.Equals(start))
            {
                options.KnownIPNetworks.Add(network);
            }
            else
            {
                errors.Add($"{EnvName(NetworksKey)}: '{entry}' is not a CIDR range such as 10.0.0.0/16 (the address must be the network's first one).");
            }
        }
        return (options, errors);
    }

    /// <summary>Runs first in the pipeline, so everything after it sees the resolved client address. With no
    /// proxy or network configured nobody is trusted, so the middleware could change nothing and is left out.</summary>
    public static WebApplication UseClientAddresses(this WebApplication app)
    {
        var (options, _) = Read(app.Configuration);
        if (options.KnownProxies.Count > 0 || options.KnownIPNetworks.Count > 0)
        {
            app.UseForwardedHeaders(options);
        }
        return app;
    }

    /// <summary>Strict: "10.1.2" is not taken for 10.1.0.2, as IPAddress.Parse would.</summary>
    private static bool TryParseAddress(string text, out IPAddress address) =>
        IPAddress.TryParse(text, out address!) && (text.Contains(':', StringComparison.Ordinal) || text.Split('.').Length == 4);

    /// <summary>Either a list (`…__KnownProxies__0`, `__1`) or one value separated by commas or spaces.</summary>
    private static IEnumerable<string> Entries(IConfiguration config, string key)
    {
        var section = config.GetSection(key);
        var values = section.GetChildren().Any() ? section.GetChildren().Select(c => c.Value ?? "") : [section.Value ?? ""];
        return values.SelectMany(v => v.Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static string EnvName(string key) => key.Replace(":", "__", StringComparison.Ordinal);
}
