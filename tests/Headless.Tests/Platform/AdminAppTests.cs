using System.Net;
using System.Text.RegularExpressions;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Headless.Tests.Platform;

/// <summary>The API host serves the admin SPA at /admin from Headless:Admin:Directory: hashed assets for a
/// year, index.html for every client route and never cached, a strict CSP with a fresh style nonce, no
/// framing; and a page saying how to build it when the bundle is missing.</summary>
public sealed class AdminAppTests : IClassFixture<AdminAppTests.BundledAdmin>, IClassFixture<AdminAppTests.UnbuiltAdmin>
{
    private readonly BundledAdmin _bundled;
    private readonly UnbuiltAdmin _unbuilt;

    public AdminAppTests(BundledAdmin bundled, UnbuiltAdmin unbuilt) => (_bundled, _unbuilt) = (bundled, unbuilt);

    public sealed class BundledAdmin : ApiFactory
    {
        public string Directory { get; } = Path.Combine(Path.GetTempPath(), "headless-admin-" + Guid.NewGuid().ToString("N")[..10]);

        public BundledAdmin()
        {
            System.IO.Directory.CreateDirectory(Path.Combine(Directory, "assets"));
            File.WriteAllText(Path.Combine(Directory, "index.html"),
                "<!doctype html><html><head><meta name=\"csp-nonce\" content=\"__CSP_NONCE__\"><meta name=\"headless-payments\" content=\"__PAYMENTS_MODE__\"></head>"
                + "<body><div id=\"root\"></div><script type=\"module\" src=\"/admin/assets/main-ABC123.js\"></script></body></html>");
            File.WriteAllText(Path.Combine(Directory, "assets", "main-ABC123.js"), "console.log('admin');" + new string(' ', 2000));
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Headless:Admin:Directory", Directory);
        }
    }

    public sealed class UnbuiltAdmin : ApiFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Headless:Admin:Directory", Path.Combine(Path.GetTempPath(), "headless-admin-none-" + Guid.NewGuid().ToString("N")[..10]));
        }
    }

    [Theory]
    [InlineData("/admin")]
    [InlineData("/admin/")]
    [InlineData("/admin/discount-codes/WELCOME10")]
    [InlineData("/admin/audit?filter=%7B%7D")]
    public async Task Every_admin_route_gets_index_html_uncached_under_a_strict_csp(string path)
    {
        var response = await _bundled.CreateClient().GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("/admin/assets/main-ABC123.js", html);
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());

        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'self'", csp);
        Assert.Contains("script-src 'self';", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.DoesNotContain("unsafe-eval", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        // The style nonce in the CSP is the one the page hands to emotion, and the payments mode is filled in.
        var nonce = Regex.Match(csp, "'nonce-([^']+)'").Groups[1].Value;
        Assert.NotEmpty(nonce);
        Assert.Contains($"<meta name=\"csp-nonce\" content=\"{nonce}\">", html);
        Assert.Contains("<meta name=\"headless-payments\" content=\"test\">", html);
    }

    [Fact]
    public async Task Each_answer_gets_its_own_nonce()
    {
        var client = _bundled.CreateClient();
        var first = (await client.GetAsync("/admin/")).Headers.GetValues("Content-Security-Policy").Single();
        var second = (await client.GetAsync("/admin/")).Headers.GetValues("Content-Security-Policy").Single();
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task Hashed_assets_are_immutable_for_a_year_and_a_missing_one_is_404_not_the_page()
    {
        var client = _bundled.CreateClient();
        var asset = await client.GetAsync("/admin/assets/main-ABC123.js");
        Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
        Assert.Equal("public, max-age=31536000, immutable", asset.Headers.CacheControl?.ToString());
        Assert.Equal("text/javascript", asset.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("console.log('admin');", await asset.Content.ReadAsStringAsync());
        Assert.Equal("DENY", asset.Headers.GetValues("X-Frame-Options").Single());

        var missing = await client.GetAsync("/admin/assets/main-OLD999.js");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("no-cache", missing.Headers.CacheControl?.ToString());

        var outside = await client.GetAsync("/admin/assets/../../index.html");
        Assert.NotEqual("public, max-age=31536000, immutable", outside.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task Writes_to_admin_pages_are_refused()
    {
        var response = await _bundled.CreateClient().PostAsync("/admin/discount-codes", new StringContent("x"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task The_admin_does_not_swallow_the_shop_or_the_api()
    {
        var client = _bundled.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/products")).StatusCode);
        var lookalike = await client.GetAsync("/administration");
        Assert.False(lookalike.Headers.Contains("Content-Security-Policy") && lookalike.StatusCode == HttpStatusCode.OK);
    }

    [Fact]
    public async Task Without_a_bundle_admin_says_how_to_build_it_and_the_api_still_runs()
    {
        var client = _unbuilt.CreateClient();
        var response = await client.GetAsync("/admin/");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("./build.sh admin", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/products")).StatusCode);
    }
}
