using System.Text;
using System.Xml.Linq;
using Amazon.Runtime;
using Headless.Storefront.Publishing;

namespace Headless.Tests.Storefront;

/// <summary>The CreateInvalidation call (CloudFront REST API 2020-05-31), recorded by a real HTTP server.</summary>
public sealed class CloudFrontInvalidationTests : IAsyncLifetime
{
    private const string AccessKey = "AKIDEXAMPLE";
    private const string SecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private static readonly XNamespace Cf = "http://cloudfront.amazonaws.com/doc/2020-05-31/";
    private RecordingServer _server = null!;

    public async Task InitializeAsync() => _server = await RecordingServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private CloudFrontInvalidator Invalidator() =>
        new(CloudFrontInvalidator.SignedClient(new BasicAWSCredentials(AccessKey, SecretKey), _server.Url), "EDFDVBD6EXAMPLE");

    [Fact]
    public async Task Changed_paths_go_in_one_signed_invalidation_batch()
    {
        var started = DateTime.UtcNow;
        var id = await Invalidator().InvalidateAsync(["/index.html", "/products/linen-apron/index.html", "/sitemap-1.xml", "/index.html"], default);

        Assert.Equal("I1EXAMPLE", id);
        var request = Assert.Single(_server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/2020-05-31/distribution/EDFDVBD6EXAMPLE/invalidation", request.Path);
        Assert.StartsWith("text/xml", request.Headers["content-type"], StringComparison.Ordinal);

        var batch = XDocument.Parse(Encoding.UTF8.GetString(request.Body));
        Assert.Equal(Cf + "InvalidationBatch", batch.Root!.Name);
        Assert.Equal([Cf + "Paths", Cf + "CallerReference"], batch.Root.Elements().Select(e => e.Name));
        var paths = batch.Root.Element(Cf + "Paths")!;
        Assert.Equal([Cf + "Quantity", Cf + "Items"], paths.Elements().Select(e => e.Name));
        Assert.Equal("6", paths.Element(Cf + "Quantity")!.Value);
        Assert.Equal(["/index.html", "/", "/products/linen-apron/index.html", "/products/linen-apron/", "/products/linen-apron", "/sitemap-1.xml"],
            paths.Element(Cf + "Items")!.Elements(Cf + "Path").Select(p => p.Value));
        Assert.False(string.IsNullOrWhiteSpace(batch.Root.Element(Cf + "CallerReference")!.Value));

        var auth = SigV4.Parse(request.Headers["authorization"]);
        Assert.Equal((AccessKey, "us-east-1", "cloudfront"), (auth.AccessKey, auth.Region, auth.Service));
        Assert.Contains("host", auth.SignedHeaders);
        Assert.Contains("x-amz-date", auth.SignedHeaders);
        Assert.Equal(SigV4.SignedAt(request).ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture), auth.Date);
        Assert.InRange(SigV4.SignedAt(request), started.AddMinutes(-5), DateTime.UtcNow.AddMinutes(5));
        Assert.Equal(SigV4.Expected(request, SecretKey), auth.Signature);
        // The check is a real one: another body or another secret gives another signature.
        Assert.NotEqual(SigV4.Expected(request with { Body = [.. request.Body, (byte)' '] }, SecretKey), auth.Signature);
        Assert.NotEqual(SigV4.Expected(request, SecretKey + "x"), auth.Signature);
    }

    [Fact]
    public async Task Each_batch_has_its_own_caller_reference_and_paths_are_url_encoded()
    {
        await Invalidator().InvalidateAsync(["/products/tée à thé/index.html"], default);
        await Invalidator().InvalidateAsync(["/index.html"], default);

        var batches = _server.Requests.Select(r => XDocument.Parse(Encoding.UTF8.GetString(r.Body)).Root!).ToList();
        Assert.Equal(["/products/t%C3%A9e%20%C3%A0%20th%C3%A9/index.html", "/products/t%C3%A9e%20%C3%A0%20th%C3%A9/", "/products/t%C3%A9e%20%C3%A0%20th%C3%A9"],
            batches[0].Descendants(Cf + "Path").Select(p => p.Value));
        Assert.NotEqual(batches[0].Element(Cf + "CallerReference")!.Value, batches[1].Element(Cf + "CallerReference")!.Value);
        Assert.All(_server.Requests, r => Assert.Equal(SigV4.Expected(r, SecretKey), SigV4.Parse(r.Headers["authorization"]).Signature));
    }

    [Fact]
    public async Task A_page_is_invalidated_under_the_urls_people_load_not_only_its_object_key()
    {
        await Invalidator().InvalidateAsync(["/products/x/index.html", "/categories/kitchen/page/2/index.html"], default);

        var paths = XDocument.Parse(Encoding.UTF8.GetString(Assert.Single(_server.Requests).Body)).Descendants(Cf + "Path").Select(p => p.Value).ToList();
        Assert.Contains("/products/x/", paths);
        Assert.Contains("/products/x", paths);
        Assert.Contains("/products/x/index.html", paths);
        Assert.Contains("/categories/kitchen/page/2/", paths);
        Assert.Contains("/categories/kitchen/page/2", paths);
    }

    [Fact]
    public async Task Pages_that_expand_past_the_limit_still_become_one_wildcard()
    {
        // 1,001 pages are 3,003 URLs: over CloudFront's 3,000.
        var pages = Enumerable.Range(0, 1001).Select(i => $"/products/p-{i}/index.html").ToList();
        await Invalidator().InvalidateAsync(pages, default);

        Assert.Equal("/*", XDocument.Parse(Encoding.UTF8.GetString(Assert.Single(_server.Requests).Body)).Descendants(Cf + "Path").Single().Value);
    }

    [Fact]
    public async Task More_paths_than_cloudfront_takes_at_once_become_one_wildcard()
    {
        var many = Enumerable.Range(0, CloudFrontInvalidator.MaxPaths + 1).Select(i => $"/feeds/p-{i}.xml").ToList();
        await Invalidator().InvalidateAsync(many, default);

        var batch = XDocument.Parse(Encoding.UTF8.GetString(Assert.Single(_server.Requests).Body)).Root!;
        Assert.Equal("1", batch.Descendants(Cf + "Quantity").Single().Value);
        Assert.Equal("/*", batch.Descendants(Cf + "Path").Single().Value);
    }
}
