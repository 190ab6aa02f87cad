using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Headless.Api.Features.Accounts.Identity;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Headless.Api.Platform.Hosting;

/// <summary>
/// The data-protection key ring (it protects sign-in cookies, email-link tokens and authenticator secrets)
/// lives in PostgreSQL so every instance shares it. Outside Development its keys are encrypted at rest with
/// an X.509 certificate from `Headless:DataProtection`: a PKCS#12 file (`CertificatePath`, `CertificatePassword`)
/// or PEM text (`CertificatePem`, `PrivateKeyPem`, e.g. from a secrets manager). A database dump then holds
/// no usable key. Development may keep them unencrypted, as before.
/// </summary>
public static class DataProtectionKeys
{
    public const string Section = "Headless:DataProtection";

    public static IServiceCollection AddHeadlessDataProtection(this IServiceCollection services, IConfiguration config)
    {
        var protection = services.AddDataProtection().SetApplicationName("headless");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = new PostgresKeyRepository(sp.GetRequiredService<NpgsqlDataSource>())));
        if (LoadCertificate(config) is { Certificate: { } certificate })
        {
            // Decrypting looks the certificate up in the machine's store unless it is named here.
            protection.ProtectKeysWithCertificate(certificate).UnprotectKeysWithAnyCertificate(certificate);
        }
        return services;
    }

    public static bool IsConfigured(IConfiguration config) =>
        !string.IsNullOrWhiteSpace(config[$"{Section}:CertificatePath"]) || !string.IsNullOrWhiteSpace(config[$"{Section}:CertificatePem"]);

    /// <summary>The configured certificate, or why it cannot be used; (null, null) when none is configured.</summary>
    public static (X509Certificate2? Certificate, string? Error) LoadCertificate(IConfiguration config)
    {
        var path = config[$"{Section}:CertificatePath"];
        var pem = config[$"{Section}:CertificatePem"];
        try
        {
            X509Certificate2 certificate;
            string source;
            if (!string.IsNullOrWhiteSpace(path))
            {
                source = "Headless__DataProtection__CertificatePath";
                if (!File.Exists(path))
                {
                    return (null, $"{source}: no file at {path}.");
                }
                certificate = X509CertificateLoader.LoadPkcs12FromFile(path, config[$"{Section}:CertificatePassword"], X509KeyStorageFlags.EphemeralKeySet);
            }
            else if (!string.IsNullOrWhiteSpace(pem))
            {
                source = "Headless__DataProtection__CertificatePem";
                var key = config[$"{Section}:PrivateKeyPem"];
                if (string.IsNullOrWhiteSpace(key))
                {
                    return (null, $"{source} is set but Headless__DataProtection__PrivateKeyPem is not: the key ring cannot be read without the private key.");
                }
                certificate = X509Certificate2.CreateFromPem(pem, key);
            }
            else
            {
                return (null, null);
            }
            if (!certificate.HasPrivateKey || certificate.GetRSAPrivateKey() is null)
            {
                return (null, $"{source}: the certificate needs its RSA private key to encrypt and read the key ring.");
            }
            return (certificate, null);
        }
        catch (CryptographicException e)
        {
            return (null, $"Headless__DataProtection: the certificate could not be read ({e.Message.TrimEnd('.')}); check the file or PEM text and the password.");
        }
    }
}
