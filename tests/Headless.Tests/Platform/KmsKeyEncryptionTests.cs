using System.Net;
using System.Xml.Linq;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using Dapper;
using Headless.Api.Platform.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Headless.Tests.Platform;

/// <summary>Data-protection keys wrapped by KMS: the real AWS SDK client against the KMS stand-in, then the
/// built API in Production with a KMS key instead of a certificate.</summary>
public sealed class KmsKeyEncryptionTests : IAsyncLifetime
{
    private KmsStandIn _kms = null!;

    public async Task InitializeAsync() => _kms = await KmsStandIn.StartAsync();

    public async Task DisposeAsync() => await _kms.DisposeAsync();

    private AmazonKeyManagementServiceClient Client() => new(new BasicAWSCredentials("AKIDHEADLESSTEST", "test-secret-key"),
        new AmazonKeyManagementServiceConfig { ServiceURL = _kms.Url, AuthenticationRegion = KmsStandIn.Region });

    [Fact]
    public async Task A_key_is_wrapped_with_kms_encrypt_over_signed_json_1_1_and_read_back_with_decrypt()
    {
        using var client = Client();
        var secret = new XElement("masterKey", new XElement("value", "c2VjcmV0IGtleSBtYXRlcmlhbA=="));

        var wrapped = new KmsXmlEncryptor(client, KmsStandIn.Alias).Encrypt(secret);

        Assert.Equal(typeof(KmsXmlDecryptor), wrapped.DecryptorType);
        Assert.Equal(KmsStandIn.KeyArn, (string?)wrapped.EncryptedElement.Attribute("keyId"));
        Assert.DoesNotContain("c2VjcmV0", wrapped.EncryptedElement.ToString(), StringComparison.Ordinal);
        var encrypt = Assert.Single(_kms.Calls);
        Assert.Equal("TrentService.Encrypt", encrypt.Target);
        Assert.Equal("application/x-amz-json-1.1", encrypt.ContentType);
        Assert.StartsWith("AWS4-HMAC-SHA256 Credential=AKIDHEADLESSTEST/", encrypt.Authorization, StringComparison.Ordinal);
        Assert.Contains($"/{KmsStandIn.Region}/kms/aws4_request", encrypt.Authorization, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(encrypt.AmzDate));

        using var services = new ServiceCollection().AddSingleton<IAmazonKeyManagementService>(client).BuildServiceProvider();
        var read = new KmsXmlDecryptor(services).Decrypt(wrapped.EncryptedElement);
        Assert.Equal(secret.ToString(), read.ToString());
        Assert.Equal(["TrentService.Encrypt", "TrentService.Decrypt"], _kms.Calls.Select(c => c.Target));

        // Another purpose's context, or an altered blob, does not decrypt.
        var value = wrapped.EncryptedElement.Element("value")!;
        var blob = Convert.FromBase64String(value.Value);
        await Assert.ThrowsAsync<InvalidCiphertextException>(() => client.DecryptAsync(new DecryptRequest
        {
            CiphertextBlob = new MemoryStream(blob),
            EncryptionContext = new() { ["purpose"] = "something else" },
        }));
        blob[^1] ^= 1;
        value.Value = Convert.ToBase64String(blob);
        Assert.Throws<InvalidCiphertextException>(() => new KmsXmlDecryptor(services).Decrypt(wrapped.EncryptedElement));
    }

    [Fact]
    public async Task Production_with_a_kms_key_instead_of_a_certificate_starts_stores_only_wrapped_keys_and_reads_them_after_a_restart()
    {
        var settings = await Configured.AllAsync();
        settings.Remove("Headless__DataProtection__CertificatePath");
        settings.Remove("Headless__DataProtection__CertificatePassword");
        settings["Headless__DataProtection__KmsKeyId"] = KmsStandIn.Alias;
        settings["Headless__DataProtection__KmsServiceUrl"] = _kms.Url;
        settings["AWS_REGION"] = KmsStandIn.Region;
        settings["AWS_ACCESS_KEY_ID"] = "AKIDHEADLESSTEST";
        settings["AWS_SECRET_ACCESS_KEY"] = "test-secret-key";

        await using (var first = await StartAsync(settings))
        {
        }
        Assert.Equal(["TrentService.Encrypt"], _kms.Calls.Select(c => c.Target).Distinct());
        Assert.All(_kms.Calls, c => Assert.StartsWith("AWS4-HMAC-SHA256 Credential=AKIDHEADLESSTEST/", c.Authorization, StringComparison.Ordinal));
        await using (var db = NpgsqlDataSource.Create(settings["Headless__Database__MigrationConnectionString"]))
        await using (var conn = await db.OpenConnectionAsync())
        {
            var keys = (await conn.QueryAsync<string>("select xml from data_protection_keys")).ToList();
            Assert.NotEmpty(keys);
            Assert.All(keys, xml =>
            {
                Assert.Contains("<kmsEncryptedKey keyId=\"" + KmsStandIn.KeyArn + "\"", xml);
                Assert.Contains(typeof(KmsXmlDecryptor).FullName!, xml);
                Assert.DoesNotContain("<masterKey", xml);
            });
        }

        // A new process has only the stored ring: its first token needs KMS Decrypt.
        await using (var second = await StartAsync(settings))
        {
        }
        Assert.Contains(_kms.Calls, c => c.Target == "TrentService.Decrypt");
    }

    [Fact]
    public async Task A_kms_key_and_a_certificate_together_refuse_the_start()
    {
        var settings = await Configured.AllAsync();
        settings["Headless__DataProtection__KmsKeyId"] = KmsStandIn.Alias;
        var (exit, run) = await ApiBinary.RunAsync(settings);
        Assert.Equal(1, exit);
        Assert.Contains("Headless__DataProtection__KmsKeyId and a certificate", run.Stderr);
    }

    private static async Task<ApiBinary> StartAsync(Dictionary<string, string> settings)
    {
        var port = ApiBinary.FreePort();
        settings["Urls"] = $"http://127.0.0.1:{port}";
        var api = ApiBinary.Start(settings);
        var baseAddress = new Uri($"http://127.0.0.1:{port}");
        await api.WaitUntilReadyAsync(baseAddress);
        using var http = new HttpClient { BaseAddress = baseAddress };
        // The anti-forgery token is the first thing that needs a data-protection key.
        Assert.True((await http.GetAsync("/api/v1/auth/csrf")).StatusCode == HttpStatusCode.OK, api.Output);
        return api;
    }
}
