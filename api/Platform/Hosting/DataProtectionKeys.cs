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
/// lives in PostgreSQL so every instance shares it. Outside Development its keys are encrypted at rest, by one
/// of two means from `Headless:DataProtection`: wrapped by AWS KMS (`KmsKeyId`, see <see cref="KmsXmlEncryptor"/>;
/// region and credentials from the standard AWS configuration, `KmsServiceUrl` only for a KMS-compatible
/// endpoint), or with an X.509 certificate: a PKCS#12 file (`CertificatePath`, `CertificatePassword`) or PEM
/// text (`CertificatePem`, `PrivateKeyPem`, e.g. from a secrets manager). A database dump then holds no usable
/// key. Development may keep them unencrypted, as before.
/// </summary>
public static class DataProtectionKeys
{
    public const string Section = "Headless:DataProtection";

    public static IServiceCollection AddHeadlessDataProtection(this IServiceCollection services, IConfiguration config)
    {
        var protection = services.AddDataProtection().SetApplicationName("headless");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = new PostgresKeyRepository(sp.GetRequiredService<NpgsqlDataSource>())));
        if (KmsKeyId(config) is { } keyId)
        {
            services.AddSingleton<Amazon.KeyManagementService.IAmazonKeyManagementService>(_ => CreateKmsClient(config));
            services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(o =>
                o.XmlEncryptor = new KmsXmlEncryptor(sp.GetRequiredService<Amazon.KeyManagementService.IAmazonKeyManagementService>(), keyId)));
        }
        else if (LoadCertificate(config) is { Certificate: { } certificate })
        {
            // Decrypting looks the certificate up in the machine's store unless it is named here.
            protection.ProtectKeysWithCertificate(certificate).UnprotectKeysWithAnyCertificate(certificate);
        }
        return services;
    }

    public static bool IsConfigured(IConfiguration config) => KmsKeyId(config) is not null || HasCertificate(config);

    private static bool HasCertificate(IConfiguration config) =>
        !string.IsNullOrWhiteSpace(config[$"{Section}:CertificatePath"]) || !string.IsNullOrWhiteSpace(config[$"{Section}:CertificatePem"]);

    /// <summary>The KMS key (id, ARN or alias) that wraps the ring's keys; null when the certificate (or nothing) is used.</summary>
    public static string? KmsKeyId(IConfiguration config) => config[$"{Section}:KmsKeyId"] is { Length: > 0 } id && !string.IsNullOrWhiteSpace(id) ? id.Trim() : null;

    /// <summary>What is wrong with the choice of key encryption; null when it is usable.</summary>
    public static string? ConfigurationError(IConfiguration config)
    {
        if (KmsKeyId(config) is not null && HasCertificate(config))
        {
            return "Headless__DataProtection__KmsKeyId and a certificate (Headless__DataProtection__CertificatePath or __CertificatePem) are both set: "
                + "choose one way to encrypt the data-protection keys (keys written under the other stay readable only by it).";
        }
        if (config[$"{Section}:KmsServiceUrl"] is { Length: > 0 } url && !Uri.TryCreate(url, UriKind.Absolute, out _))
        {
            return $"Headless__DataProtection__KmsServiceUrl: '{url}' is not an absolute URL.";
        }
        return KmsKeyId(config) is null ? LoadCertificate(config).Error : null;
    }

    /// <summary>Region and credentials come from the standard AWS chain (AWS_REGION, the ECS task role, …).</summary>
    private static Amazon.KeyManagementService.AmazonKeyManagementServiceClient CreateKmsClient(IConfiguration config)
    {
        var kmsConfig = new Amazon.KeyManagementService.AmazonKeyManagementServiceConfig();
        if (config[$"{Section}:KmsServiceUrl"] is { Length: > 0 } url)
        {
            kmsConfig.ServiceURL = url;
        }
        return new Amazon.KeyManagementService.AmazonKeyManagementServiceClient(kmsConfig);
    }

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
