using System.IO.Compression;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace Headless.Api.Platform.Hosting;

/// <summary>
/// Serves the published storefront (storefront-generator's local folder, `Headless:Storefront:SiteDirectory`,
/// default .data/storefront/site) at /: <c>/x/</c> and <c>/x</c> serve <c>x/index.html</c>; fingerprinted
/// assets are cached for a year as immutable, pages revalidate at once so a rebuild shows on the next load;
/// any other GET outside /api, /openapi and /health that finds nothing gets the shop's 404 page.
/// </summary>
public static class StorefrontHosting
{
    private static readonly string[] ApiPrefixes = ["/api", "/openapi", "/health"];

    public static string SiteDirectory(IConfiguration configuration)
    {
        var configured = configuration["Headless:Storefront:SiteDirectory"];
        return Path.GetFullPath(string.IsNullOrWhiteSpace(configured) ? Path.Combine(RepoPaths.Data, "storefront", "site") : configured, RepoPaths.Root);
    }

    /// <summary>Compression for the site's text files (pages, CSS, JS, XML); API responses are left as they are.</summary>
    public static IServiceCollection AddStorefrontHosting(this IServiceCollection services) => services
        .AddResponseCompression(o =>
        {
            o.Providers.Add<BrotliCompressionProvider>();
            o.Providers.Add<GzipCompressionProvider>();
            o.MimeTypes = ["text/html", "text/css", "text/javascript", "application/javascript", "text/xml", "application/xml", "text/plain", "image/svg+xml"];
        })
        .Configure<BrotliCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest)
        .Configure<GzipCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);

    public static WebApplication UseStorefront(this WebApplication app)
    {
        var root = SiteDirectory(app.Configuration);
        Directory.CreateDirectory(root);
        var files = new PhysicalFileProvider(root);
        app.UseWhen(http => IsSitePath(http.Request), site => site.UseResponseCompression());

        // Pretty URLs: /products/x and /products/x/ are products/x/index.html (query strings kept, no redirect).
        app.Use((http, next) =>
        {
            var path = http.Request.Path.Value ?? "/";
            if (IsSitePath(http.Request) && !Path.HasExtension(path))
            {
                var index = path.EndsWith('/') ? path + "index.html" : path + "/index.html";
                if (files.GetFileInfo(index).Exists)
                {
                    http.Request.Path = index;
                }
            }
            return next(http);
        });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            ContentTypeProvider = new FileExtensionContentTypeProvider(),
            OnPrepareResponse = ctx => ctx.Context.Response.Headers.CacheControl = CacheControl(ctx.Context.Request.Path.Value ?? ""),
        });
        // Whatever nothing else answered (endpoints included) and is a page request: the shop's 404 page.
        app.Use(async (http, next) =>
        {
            await next(http);
            if (http.Response.StatusCode == StatusCodes.Status404NotFound && !http.Response.HasStarted
                && http.Response.ContentLength is null && http.Response.ContentType is null && IsSitePath(http.Request))
            {
                var page = files.GetFileInfo("404.html");
                if (page.Exists)
                {
                    http.Response.ContentType = "text/html; charset=utf-8";
                    http.Response.Headers.CacheControl = "no-cache";
                    await http.Response.SendFileAsync(page);
                }
            }
        });
        return app;
    }

    // Product images are content-hashed too (images/products/<hash>-<width>.<ext>): a new image is a new name.
    public static string CacheControl(string path) => path.StartsWith("/assets/", StringComparison.Ordinal) || path.StartsWith("/images/products/", StringComparison.Ordinal)
        ? "public, max-age=31536000, immutable"
        : "public, max-age=0, must-revalidate";

    private static bool IsSitePath(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        && !ApiPrefixes.Any(p => request.Path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase));
}
