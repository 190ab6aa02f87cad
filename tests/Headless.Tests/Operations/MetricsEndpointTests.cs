using System.Diagnostics;
using System.Net;
using Headless.Tests.Commerce;
using Headless.Tests.Infrastructure;
using Headless.Tests.Platform;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Headless.Tests.Operations;

/// <summary>`/metrics`: Prometheus text for the allowed networks (loopback by default) or the scrape token;
/// a 404 for everyone else; the token never in a log line.</summary>
public sealed class MetricsEndpointTests(MetricsEndpointTests.Host host) : IClassFixture<MetricsEndpointTests.Host>
{
    public const string Token = "scrape-token-5f0c1e9a7b";

    public sealed class Host : ApiFactory
    {
        public CapturedLogs Logs { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Headless:Metrics:ScrapeToken", Token);
            builder.ConfigureLogging(l => l.AddProvider(Logs));
        }
    }

    [Fact]
    public async Task Loopback_reads_the_business_metrics_after_a_checkout_in_prometheus_text()
    {
        await Shop.PricingAsync(host);
        var shopper = host.CreateClient();
        var sku = await Shop.SkuAsync(host.Admin(), stock: 1);
        var first = await Shop.NewCartAsync(shopper, (sku, 1));
        var second = await Shop.NewCartAsync(shopper, (sku, 1));
        await Shop.CheckOutAsync(shopper, first.Token);
        // The second cart's checkout of the same (now reserved) unit is refused: out of stock.
        Assert.Equal(HttpStatusCode.Conflict, (await Shop.CheckoutAsync(shopper, Shop.CheckoutBody(second.Token))).StatusCode);
        (await shopper.GetAsync($"/api/v1/products?limit=5")).EnsureSuccessStatusCode();

        var (status, body) = await ScrapeAsync(IPAddress.Loopback);
        Assert.Equal(StatusCodes.Status200OK, status);
        Assert.Matches(@"(?m)^headless_orders_created_total(\{[^}]*\})? [1-9]", body);
        Assert.Matches(@"(?m)^headless_checkout_refusals_total\{[^}]*reason=""out-of-stock""[^}]*\} [1-9]", body);
        // The listing read above was counted (a miss at least: the cache is per process and the page was new).
        Assert.Matches(@"(?m)^headless_cache_requests_total\{[^}]*cache=""listing""[^}]*result=""miss""[^}]*\} [1-9]", body);
        Assert.Matches(@"(?m)^headless_outbox_lag_seconds\{[^}]*consumer=""email""", body);
        Assert.Matches(@"(?m)^headless_outbox_dead_letters\{[^}]*consumer=""email""", body);
        Assert.Matches(@"(?m)^http_server_request_duration_seconds_bucket\{", body);
        Assert.Matches(@"(?m)^db_client_connection", body);
        Assert.DoesNotMatch(@"(?m)^headless_database_replica_lag_seconds\{", body); // no standby, no series
        Assert.Equal(StatusCodes.Status200OK, (await ScrapeAsync(IPAddress.IPv6Loopback)).Status);

        if (File.Exists("/usr/bin/promtool"))
        {
            var (exit, output) = await Promtool.RunAsync("check metrics", stdin: body);
            // `check metrics` also lints names (a counter without _total, a unit in a name); only a parse error fails it here.
            Assert.False(exit != 0 && output.Contains("error while linting", StringComparison.Ordinal), output);
        }
    }

    [Fact]
    public async Task Another_network_gets_a_404_unless_it_brings_the_scrape_token_which_is_never_logged()
    {
        var outsider = IPAddress.Parse("203.0.113.9");
        var (status, body) = await ScrapeAsync(outsider);
        Assert.Equal(StatusCodes.Status404NotFound, status);
        Assert.DoesNotContain("headless_", body, StringComparison.Ordinal);
        Assert.Equal(StatusCodes.Status404NotFound, (await ScrapeAsync(outsider, "Bearer wrong-token")).Status);
        Assert.Equal(StatusCodes.Status404NotFound, (await ScrapeAsync(outsider, Token)).Status);

        var (allowed, scraped) = await ScrapeAsync(outsider, "Bearer " + Token);
        Assert.Equal(StatusCodes.Status200OK, allowed);
        Assert.Contains("# TYPE ", scraped, StringComparison.Ordinal);
        Assert.False(host.Logs.Any(l => l.Contains(Token, StringComparison.Ordinal)), "the scrape token was logged");
    }

    [Fact]
    public async Task Metrics_are_not_in_the_openapi_document()
    {
        var document = await host.CreateClient().GetStringAsync("/openapi/v1.json");
        Assert.DoesNotContain("/metrics", document, StringComparison.Ordinal);
    }

    private Task<(int Status, string Body)> ScrapeAsync(IPAddress from, string? authorization = null) => Scrape.MetricsAsync(host, from, authorization);
}

/// <summary>Runs Prometheus' promtool (Debian `prometheus`, installed by `./build.sh ensure-prometheus`).</summary>
public static class Promtool
{
    public const string Path = "/usr/bin/promtool";

    public static async Task<(int Exit, string Output)> RunAsync(string arguments, string? stdin = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(Path, arguments)
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? "",
        };
        using var process = Process.Start(start)!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}

/// <summary>A request to `/metrics` from a given client address, straight into the test server.</summary>
public static class Scrape
{
    public static async Task<(int Status, string Body)> MetricsAsync(ApiFactory host, IPAddress from, string? authorization = null)
    {
        var context = await host.Server.SendAsync(c =>
        {
            c.Request.Method = HttpMethods.Get;
            c.Request.Path = "/metrics";
            c.Connection.RemoteIpAddress = from;
            if (authorization is not null)
            {
                c.Request.Headers.Authorization = authorization;
            }
        });
        using var reader = new StreamReader(context.Response.Body);
        return (context.Response.StatusCode, await reader.ReadToEndAsync());
    }
}
