using System.Security.Cryptography;
using Headless.Api.Features.Payments;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace Headless.Api.Platform.Hosting;

/// <summary>
/// Serves the staff dashboard (the react-admin SPA that `./build.sh admin` bundles into admin/dist,
/// or `Headless:Admin:Directory`) at /admin. Its hashed files under /admin/assets/ are cached for a year
/// as immutable; every other GET under /admin is a client route and gets index.html, never cached, so a
/// new bundle shows on the next load.
///
/// The page runs under a strict CSP: scripts only from this origin, nothing inline. MUI styles through
/// emotion, which writes &lt;style&gt; elements at run time; instead of 'unsafe-inline' each answer of
/// index.html carries a fresh nonce (in a meta tag the app hands to emotion) and the CSP allows styles
/// with that nonce. Style attributes React sets through the DOM are not inline markup and need nothing.
/// The page also learns the payments mode here (a meta tag), to show TEST MODE as the shop's pages do.
/// Without a bundle, /admin says how to build one; the API runs on either way.
/// </summary>
public static class AdminApp
{
    public const string PathPrefix = "/admin";
    public const string ImmutableCache = "public, max-age=31536000, immutable";

    public static string Directory(IConfiguration configuration)
    {
        var configured = configuration["Headless:Admin:Directory"];
        return Path.GetFullPath(string.IsNullOrWhiteSpace(configured) ? Path.Combine(RepoPaths.Root, "admin", "dist") : configured, RepoPaths.Root);
    }

    public static WebApplication UseAdminApp(this WebApplication app)
    {
        var root = Directory(app.Configuration);
        ((IApplicationBuilder)app).Map(new PathString(PathPrefix), admin =>
        {
            admin.Use((http, next) =>
            {
                var headers = http.Response.Headers;
                headers.XFrameOptions = "DENY";
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "same-origin";
                return next(http);
            });
            admin.UseResponseCompression();
            admin.Run(async http =>
            {
                if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
                {
                    http.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                    http.Response.Headers.Allow = "GET, HEAD";
                    return;
                }
                if (http.Request.Path.StartsWithSegments("/assets", StringComparison.Ordinal))
                {
                    await ServeAssetAsync(http, root);
                    return;
                }
                await ServeIndexAsync(http, root);
            });
        });
        return app;
    }

    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    private static async Task ServeAssetAsync(HttpContext http, string root)
    {
        var file = System.IO.Directory.Exists(root) ? new PhysicalFileProvider(root).GetFileInfo(http.Request.Path.Value!) : null;
        if (file is null || !file.Exists || file.IsDirectory)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            http.Response.Headers.CacheControl = "no-cache";
            return;
        }
        http.Response.ContentType = ContentTypes.TryGetContentType(file.Name, out var type) ? type : "application/octet-stream";
        http.Response.Headers.CacheControl = ImmutableCache;
        http.Response.ContentLength = file.Length;
        if (HttpMethods.IsGet(http.Request.Method))
        {
            await http.Response.SendFileAsync(file, http.RequestAborted);
        }
    }

    private static async Task ServeIndexAsync(HttpContext http, string root)
    {
        http.Response.Headers.CacheControl = "no-cache";
        var index = Path.Combine(root, "index.html");
        if (!File.Exists(index))
        {
            http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            http.Response.ContentType = "text/html; charset=utf-8";
            http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
            await http.Response.WriteAsync($"""
                <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Headless admin: not built</title></head>
                <body><h1>The admin dashboard is not built yet</h1>
                <p>Run <code>./build.sh admin</code> in the repository to build it (<code>./build.sh run</code> and <code>./build.sh test</code> do it too), then reload this page.</p>
                <p>This server looks for it in <code>{System.Net.WebUtility.HtmlEncode(root)}</code> (setting <code>Headless:Admin:Directory</code>).</p>
                </body></html>
                """, http.RequestAborted);
            return;
        }
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var testMode = http.RequestServices.GetService<IPaymentProvider>()?.TestMode ?? true;
        var html = (await File.ReadAllTextAsync(index, http.RequestAborted))
            .Replace("__CSP_NONCE__", nonce, StringComparison.Ordinal)
            .Replace("__PAYMENTS_MODE__", testMode ? "test" : "live", StringComparison.Ordinal);
        http.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy(nonce);
        http.Response.ContentType = "text/html; charset=utf-8";
        await http.Response.WriteAsync(html, http.RequestAborted);
    }

    /// <summary>Same origin for everything (the API is on this origin); styles also with this page's nonce.
    /// img-src allows data: for MUI's inline SVG data URLs and https: for product images on a CDN.</summary>
    public static string ContentSecurityPolicy(string nonce) =>
        $"default-src 'self'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; img-src 'self' data: https:; font-src 'self' data:; "
        + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
}
