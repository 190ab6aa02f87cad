using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Headless.Api.Platform.Hosting;

/// <summary>
/// HTTPS in transit. Outside Development every request that did not arrive over HTTPS is redirected to it (308, to
/// `Headless:Http:HttpsPort`, 443 by default) and HTTPS answers carry `Strict-Transport-Security` (a year). Behind the
/// load balancer the scheme is the one <see cref="ClientAddresses"/> took from `X-Forwarded-Proto`, which only known
/// proxies may set; a client's own header is ignored. Never redirected: the health routes the load balancer probes
/// over plain HTTP, and /metrics, scraped inside the network. `Headless:Http:RequireHttps=false` turns both off for a
/// host reached only over loopback (the benchmark); Development is unchanged, and can serve HTTPS as well with a
/// generated certificate (<see cref="DevelopmentCertificate"/>, `./build.sh run --https`).
/// </summary>
public static class TransportSecurity
{
    public const string RequireHttpsKey = "Headless:Http:RequireHttps";
    public const string HttpsPortKey = "Headless:Http:HttpsPort";
    public const string DevelopmentHttpsUrlKey = "Headless:Http:DevelopmentHttpsUrl";

    public static bool RequiresHttps(IConfiguration config, IHostEnvironment env) => !env.IsDevelopment() && config.GetValue(RequireHttpsKey, true);

    public static IServiceCollection AddTransportSecurity(this IServiceCollection services, IConfiguration config)
    {
        services.AddHsts(o =>
        {
            o.MaxAge = TimeSpan.FromDays(365);
            // Subdomains are the merchant's to decide (a blog or mail host may not speak HTTPS yet).
            o.IncludeSubDomains = false;
        });
        services.AddHttpsRedirection(o =>
        {
            o.RedirectStatusCode = StatusCodes.Status308PermanentRedirect;
            o.HttpsPort = config.GetValue<int?>(HttpsPortKey) ?? 443;
        });
        return services;
    }

    /// <summary>After <see cref="ClientAddresses.UseClientAddresses"/>, so the forwarded scheme counts.</summary>
    public static WebApplication UseTransportSecurity(this WebApplication app)
    {
        if (RequiresHttps(app.Configuration, app.Environment))
        {
            app.UseWhen(context => !IsProbe(context.Request.Path), secure =>
            {
                secure.UseHsts();
                secure.UseHttpsRedirection();
            });
        }
        return app;
    }

    /// <summary>Development with `Headless:Http:DevelopmentHttpsUrl` (e.g. https://127.0.0.1:5443): Kestrel listens there
    /// too, with the generated certificate. Ignored elsewhere: production terminates TLS at the load balancer.</summary>
    public static void ServeDevelopmentHttps(this WebApplicationBuilder builder)
    {
        if (!builder.Environment.IsDevelopment() || builder.Configuration[DevelopmentHttpsUrlKey] is not { Length: > 0 } httpsUrl)
        {
            return;
        }
        var urls = builder.Configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } configured ? configured : "http://127.0.0.1:5080";
        builder.WebHost.UseUrls($"{urls};{httpsUrl}");
        var certificate = DevelopmentCertificate.LoadOrCreate(Path.Combine(RepoPaths.Data, "dev-https"));
        builder.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(h => h.ServerCertificate = certificate));
    }

    private static bool IsProbe(PathString path) => path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics");
}

/// <summary>The local run's HTTPS certificate: self-signed for localhost, 127.0.0.1 and ::1, made with
/// <see cref="CertificateRequest"/> under `.data/dev-https/` (never committed) and made again when it nears its end.
/// Browsers warn about it; `curl --cacert .data/dev-https/localhost.crt` trusts it.</summary>
public static class DevelopmentCertificate
{
    public static X509Certificate2 LoadOrCreate(string directory)
    {
        var pfx = Path.Combine(directory, "localhost.pfx");
        if (File.Exists(pfx))
        {
            var existing = X509CertificateLoader.LoadPkcs12FromFile(pfx, password: null);
            if (existing.NotAfter > DateTime.Now.AddDays(7))
            {
                return existing;
            }
            existing.Dispose();
        }
        Directory.CreateDirectory(directory);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost (Headless development)", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var bytes = created.Export(X509ContentType.Pfx);
        var temp = pfx + ".tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, pfx, overwrite: true);
        File.WriteAllText(Path.Combine(directory, "localhost.crt"), created.ExportCertificatePem());
        return X509CertificateLoader.LoadPkcs12(bytes, password: null);
    }
}
