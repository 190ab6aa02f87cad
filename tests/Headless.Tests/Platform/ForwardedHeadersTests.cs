using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dapper;
using Headless.Contracts.Accounts;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Headless.Tests.Platform;

/// <summary>The API over real HTTP (Kestrel on loopback), so the connection's address is the one the
/// operating system saw; the host decides whether the loopback peer is a trusted proxy.</summary>
public abstract class KestrelApi : ApiFactory
{
    protected abstract string KnownProxies { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Headless:Http:KnownProxies", KnownProxies);
        builder.UseSetting("Headless:Http:KnownNetworks", "192.168.0.0/16");
        builder.UseSetting("Headless:Accounts:LoginPerMinute", "2");
    }

    public KestrelApi() => UseKestrel(0);

    public HttpRequestMessage From(HttpMethod method, string url, string forwardedFor, object? body = null, bool asAdmin = false)
    {
        var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body, options: Http.Json) };
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        if (asAdmin)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        }
        return request;
    }

    public async Task<string> AuditedClientIpAsync(string forwardedFor)
    {
        var slug = CatalogSeed.Unique("fwd");
        var created = await CreateClient().SendAsync(From(HttpMethod.Post, "/api/v1/admin/categories", forwardedFor, new { slug, name = "Forwarded" }, asAdmin: true));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await using var conn = await Db.OpenConnectionAsync();
        return await conn.QuerySingleAsync<string>(
            "select client_ip::text from audit_log where action like 'category.%' and after->>'slug' = @slug", new { slug });
    }

    public async Task<HttpStatusCode> LoginAsync(string forwardedFor) =>
        (await CreateClient().SendAsync(From(HttpMethod.Post, "/api/v1/auth/login", forwardedFor,
            new LoginRequest($"nobody-{Guid.NewGuid():N}@example.test", "not the password", null, null, false)))).StatusCode;
}

/// <summary>The load balancer in front of this API is at the loopback address.</summary>
public sealed class BehindTrustedProxy : KestrelApi
{
    protected override string KnownProxies => "127.0.0.1, ::1";
}

/// <summary>Only 10.9.9.9 and 192.168.0.0/16 are proxies; the loopback peer is just a client.</summary>
public sealed class NotBehindTrustedProxy : KestrelApi
{
    protected override string KnownProxies => "10.9.9.9";
}

public sealed class TrustedProxyTests(BehindTrustedProxy api) : IClassFixture<BehindTrustedProxy>
{
    [Fact]
    public async Task Audit_rows_record_the_client_address_the_trusted_proxy_forwarded()
    {
        // Only the client's network is kept (/24 for IPv4), never the full address.
        Assert.Equal("198.51.100.0/24", await api.AuditedClientIpAsync("198.51.100.23"));
        // A shopper's own X-Forwarded-For entry sits left of what the proxy appended: it does not count.
        Assert.Equal("198.51.100.0/24", await api.AuditedClientIpAsync("6.6.6.6, 198.51.100.24"));
        Assert.Equal("2001:db8:42::/48", await api.AuditedClientIpAsync("2001:db8:42:7::1"));
    }

    [Fact]
    public async Task Rate_limits_count_per_forwarded_client_address()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await api.LoginAsync("203.0.113.10"));
        Assert.Equal(HttpStatusCode.Unauthorized, await api.LoginAsync("203.0.113.10"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await api.LoginAsync("203.0.113.10"));
        // Another shopper behind the same load balancer has their own allowance.
        Assert.Equal(HttpStatusCode.Unauthorized, await api.LoginAsync("203.0.113.11"));
        // The addresses are counted under a keyed hash, never stored themselves.
        await using var conn = await api.Db.OpenConnectionAsync();
        var keys = (await conn.QueryAsync<string>("select partition_key from rate_limit_windows where limit_name = 'login'")).ToList();
        Assert.Contains(api.Services.GetRequiredService<Headless.Api.Platform.Http.SharedRateLimits>().StoredPartition("203.0.113.10"), keys);
        Assert.DoesNotContain(keys, k => k.Contains("203.0.113", StringComparison.Ordinal));
    }
}

public sealed class UntrustedProxyTests(NotBehindTrustedProxy api) : IClassFixture<NotBehindTrustedProxy>
{
    [Fact]
    public async Task A_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored_in_audit_rows()
    {
        var recorded = await api.AuditedClientIpAsync("198.51.100.23");
        Assert.True(recorded is "127.0.0.0/24" or "::/48", recorded);
    }

    [Fact]
    public async Task A_spoofed_forwarded_for_from_an_untrusted_peer_does_not_escape_the_rate_limit()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await api.LoginAsync("203.0.113.20"));
        Assert.Equal(HttpStatusCode.Unauthorized, await api.LoginAsync("203.0.113.21"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await api.LoginAsync("203.0.113.22"));
    }
}
