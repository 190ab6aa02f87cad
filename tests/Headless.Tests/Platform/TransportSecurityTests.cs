using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Headless.Api.Platform.Hosting;
using Headless.Api.Platform.Startup;
using Headless.Tests.Email;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Platform;

/// <summary>HTTPS in transit (TransportSecurity): the built API in Production redirects plain HTTP and sends HSTS over
/// HTTPS (here: HTTPS as a known proxy says with X-Forwarded-Proto), leaves the load balancer's health probes alone, and
/// takes the scheme only from known proxies; Development is unchanged and can serve HTTPS with a generated certificate;
/// the core database needs verified TLS in production, as the vaults do.</summary>
public sealed class TransportSecurityTests
{
    // Fixed ports from this part's range (below the kernel's ephemeral range).
    private const int ProductionPort = 27710;
    private const int UntrustedPort = 27711;
    private const int DevelopmentHttpPort = 27712;
    private const int DevelopmentHttpsPort = 27713;

    [Fact]
    public async Task Production_redirects_http_to_https_sends_hsts_over_https_and_never_redirects_the_health_probes()
    {
        var settings = await Configured.AllAsync();
        settings.Remove("Headless__Http__RequireHttps");
        settings["Headless__Http__KnownProxies"] = "127.0.0.1";
        settings["Urls"] = $"http://127.0.0.1:{ProductionPort}";
        await using var api = ApiBinary.Start(settings);
        var baseAddress = new Uri($"http://127.0.0.1:{ProductionPort}");
        await api.WaitUntilReadyAsync(baseAddress);
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = baseAddress };

        using var plain = await SendAsync(http, "/api/v1/products?limit=1", forwardedProto: null);
        Assert.Equal(HttpStatusCode.PermanentRedirect, plain.StatusCode);
        Assert.Equal("https://shop.example.test/api/v1/products?limit=1", plain.Headers.Location!.ToString());
        Assert.False(plain.Headers.Contains("Strict-Transport-Security"));

        using var secure = await SendAsync(http, "/api/v1/products?limit=1", forwardedProto: "https");
        Assert.Equal(HttpStatusCode.OK, secure.StatusCode);
        Assert.Equal("max-age=31536000", Assert.Single(secure.Headers.GetValues("Strict-Transport-Security")));

        foreach (var probe in new[] { "/health/live", "/health/ready" })
        {
            using var answer = await SendAsync(http, probe, forwardedProto: null);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Null(answer.Headers.Location);
        }
    }

    [Fact]
    public async Task X_Forwarded_Proto_from_a_proxy_nobody_named_is_ignored()
    {
        var settings = await Configured.AllAsync();
        settings.Remove("Headless__Http__RequireHttps");
        // The load balancer lives in 10.40.0.0/16; this request comes from 127.0.0.1, so its header does not count.
        settings["Headless__Http__KnownNetworks"] = "10.40.0.0/16";
        settings["Urls"] = $"http://127.0.0.1:{UntrustedPort}";
        await using var api = ApiBinary.Start(settings);
        var baseAddress = new Uri($"http://127.0.0.1:{UntrustedPort}");
        await api.WaitUntilReadyAsync(baseAddress);
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = baseAddress };

        using var spoofed = await SendAsync(http, "/api/v1/products?limit=1", forwardedProto: "https");
        Assert.Equal(HttpStatusCode.PermanentRedirect, spoofed.StatusCode);
        Assert.False(spoofed.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task Development_is_unchanged_and_serves_https_too_with_a_generated_certificate_when_asked()
    {
        var factory = new ApiFactory();
        try
        {
            await factory.InitializeAsync();
            using var http = factory.CreateDefaultClient();
            using var plain = await SendAsync(http, "/api/v1/products?limit=1", forwardedProto: null);
            Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
            Assert.False(plain.Headers.Contains("Strict-Transport-Security"));
        }
        finally
        {
            await factory.DisposeAsync();
        }

        var database = await TestDatabase.CreateAsync();
        await using var api = ApiBinary.Start(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Headless__Database__ConnectionString"] = database.App,
            ["Headless__Database__MigrationConnectionString"] = database.Owner,
            ["Headless__Catalog__LoadDemoCatalog"] = "false",
            ["Urls"] = $"http://127.0.0.1:{DevelopmentHttpPort}",
            ["Headless__Http__DevelopmentHttpsUrl"] = $"https://127.0.0.1:{DevelopmentHttpsPort}",
        });
        await api.WaitUntilReadyAsync(new Uri($"http://127.0.0.1:{DevelopmentHttpPort}"));
        X509Certificate2? presented = null;
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                presented = certificate is null ? null : new X509Certificate2(certificate);
                return true;
            },
        };
        using var https = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{DevelopmentHttpsPort}") };
        // Kestrel binds its endpoints one after the other: the HTTP one can answer a moment before the HTTPS one listens.
        HttpResponseMessage? live = null;
        await Eventually.WaitUntilAsync(async () =>
        {
            try
            {
                live = await https.GetAsync("/health/live");
                return true;
            }
            catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
            {
                return false;
            }
        }, TimeSpan.FromSeconds(20), "the HTTPS endpoint listens");
        Assert.Equal(HttpStatusCode.OK, live!.StatusCode);
        var generated = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Data, "dev-https", "localhost.crt")));
        Assert.Equal(generated.Thumbprint, presented!.Thumbprint);
        Assert.Contains("localhost", presented.Subject, StringComparison.Ordinal);
        // Plain HTTP keeps answering in Development.
        using var http2 = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{DevelopmentHttpPort}") };
        Assert.Equal(HttpStatusCode.OK, (await http2.GetAsync("/api/v1/products?limit=1")).StatusCode);
    }

    [Fact]
    public async Task Production_refuses_a_core_database_reached_without_verified_tls()
    {
        var settings = await Configured.AllAsync();
        settings["Headless__Database__ConnectionString"] = "Host=core.db.internal;Database=headless;Username=api;Password=x;SSL Mode=Require";
        settings["Headless__Database__MigrationConnectionString"] = "Host=core.db.internal;Database=headless;Username=owner;Password=y";
        var (exit, run) = await ApiBinary.RunAsync(settings);
        Assert.Equal(1, exit);
        Assert.Contains("Headless__Database__ConnectionString: the core database must be reached over TLS", run.Stderr);
        Assert.Contains("Headless__Database__MigrationConnectionString: the core database must be reached over TLS", run.Stderr);
        Assert.DoesNotContain("Password=", run.Output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Host=core.db.internal;Database=h;SSL Mode=VerifyFull", true)]
    [InlineData("Host=core.db.internal;Database=h;SSL Mode=VerifyCA", false)]
    [InlineData("Host=core.db.internal;Database=h;SSL Mode=Require", false)]
    [InlineData("Host=core.db.internal;Database=h", false)]
    [InlineData("Host=127.0.0.1;Database=h", true)]
    [InlineData("Host=localhost;Database=h", true)]
    [InlineData("Host=::1;Database=h", true)]
    [InlineData("Host=/var/run/postgresql;Database=h", true)]
    [InlineData("Host=127.0.0.1,core.db.internal;Database=h", false)]
    [InlineData("Host=127.0.0.2.example;Database=h", false)]
    [InlineData("not a connection string", false)]
    public void Only_verified_tls_or_a_loopback_host_passes(string connectionString, bool passes) =>
        Assert.Equal(passes, DatabaseTls.IsVerifiedOrLocal(connectionString));

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string path, string? forwardedProto)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        // HSTS is never sent for localhost names, so the request names the shop as a browser would.
        request.Headers.Host = "shop.example.test";
        if (forwardedProto is not null)
        {
            request.Headers.Add("X-Forwarded-Proto", forwardedProto);
            request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        }
        return await http.SendAsync(request);
    }
}
