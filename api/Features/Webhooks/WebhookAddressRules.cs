using System.Net;
using System.Net.Sockets;

namespace Headless.Api.Features.Webhooks;

/// <summary>
/// Where webhooks may go (SSRF protection). A URL is checked when staff save it, but the answer that counts
/// is the one at connect time: <see cref="ConnectAsync"/> resolves the host itself, checks every address
/// and connects to an allowed one, so a name that later resolves elsewhere (DNS rebinding) cannot reach
/// the private network. Redirects are not followed (<see cref="WebhookSender"/>).
/// </summary>
public static class WebhookAddressRules
{
    /// <summary>Why the URL cannot be a webhook endpoint, or null when it can (as far as its text tells).</summary>
    public static string? CheckUrl(string url, bool allowLocal)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            return "Give an absolute URL, e.g. https://erp.example.com/webhooks.";
        }
        if (uri.Scheme != Uri.UriSchemeHttps && !(allowLocal && uri.Scheme == Uri.UriSchemeHttp))
        {
            return allowLocal ? "Use an http or https URL." : "Use an https URL.";
        }
        if (uri.UserInfo.Length > 0)
        {
            return "Put no user name or password in the URL.";
        }
        if (url.Length > 2000)
        {
            return "At most 2000 characters.";
        }
        if (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var ip) && IsForbidden(ip, allowLocal))
        {
            return ForbiddenMessage(allowLocal);
        }
        return null;
    }

    /// <summary>Resolves the URL's host and says why it is refused when any address is not allowed. A name
    /// that does not resolve now is accepted: it is checked again at every connect.</summary>
    public static async Task<string?> CheckResolvedAsync(string url, bool allowLocal, CancellationToken ct)
    {
        var host = new Uri(url).IdnHost.Trim('[', ']');
        if (IPAddress.TryParse(host, out _))
        {
            return null;
        }
        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(host, ct);
        }
        catch (SocketException)
        {
            return null;
        }
        return addresses.Any(a => IsForbidden(a, allowLocal)) ? ForbiddenMessage(allowLocal) : null;
    }

    private static string ForbiddenMessage(bool allowLocal) => allowLocal
        ? "The host is a private, link-local or metadata address; webhooks go to public addresses or this machine only."
        : "The host is a private, loopback, link-local or metadata address; webhooks go to public addresses only.";

    /// <summary>Loopback (unless <paramref name="allowLocal"/>), private (10/8, 172.16/12, 192.168/16),
    /// CGNAT (100.64/10), link-local and cloud metadata (169.254/16, fe80::/10), "this network" (0/8),
    /// benchmarking (198.18/15), IETF (192.0.0/24), multicast, reserved and broadcast, unspecified,
    /// IPv6 unique-local (fc00::/7, which holds AWS's fd00:ec2::254) and IPv4-mapped forms of all those.</summary>
    public static bool IsForbidden(IPAddress address, bool allowLocal)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (IPAddress.IsLoopback(address))
        {
            return !allowLocal;
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] switch
            {
                0 or 10 or >= 224 => true,
                100 => b[1] >= 64 && b[1] < 128,
                169 => b[1] == 254,
                172 => b[1] >= 16 && b[1] < 32,
                192 => (b[1] == 168) || (b[1] == 0 && b[2] == 0),
                198 => b[1] is 18 or 19,
                _ => false,
            };
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b = address.GetAddressBytes();
            return address.Equals(IPAddress.IPv6None) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
                || (b[0] & 0xfe) == 0xfc
                // NAT64 (64:ff9b::/96) carries an IPv4 address: judge that one
                || (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0
                    && IsForbidden(new IPAddress(b.AsSpan(12, 4)), allowLocal));
        }
        return true;
    }

    /// <summary>The <see cref="SocketsHttpHandler.ConnectCallback"/>: resolve, refuse forbidden addresses,
    /// connect to the first allowed one (the exact address checked).</summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool allowLocal, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host.Trim('[', ']');
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var allowed = addresses.Where(a => !IsForbidden(a, allowLocal)).ToList();
        if (allowed.Count == 0 || allowed.Count < addresses.Length)
        {
            // A name that resolves to any forbidden address is refused as a whole: a mix is a rebinding attempt.
            throw new WebhookAddressRefusedException();
        }
        Exception? last = null;
        foreach (var address in allowed)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
        }
        throw last!;
    }
}

/// <summary>The endpoint's host resolved to an address webhooks may not reach.</summary>
public sealed class WebhookAddressRefusedException()
    : Exception("The endpoint's host resolves to a private, loopback, link-local or metadata address; the platform refused to connect.");
