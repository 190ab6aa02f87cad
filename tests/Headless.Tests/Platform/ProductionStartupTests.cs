using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Dapper;
using Headless.Tests.Infrastructure;
using Npgsql;

namespace Headless.Tests.Platform;

/// <summary>Production fails closed: the built API, started as an operator would, refuses to run on any
/// embedded default and names every missing setting; with everything configured it starts.</summary>
public sealed class ProductionStartupTests
{
    private static void AssertNoStackTrace(string output)
    {
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_with_nothing_configured_refuses_to_start_naming_every_missing_setting()
    {
        var (exit, run) = await ApiBinary.RunAsync(new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production" });

        Assert.Equal(1, exit);
        foreach (var setting in new[]
        {
            "Headless__Database__ConnectionString", "Headless__Payments__Stripe__SecretKey", "Headless__Payments__Stripe__PublishableKey",
            "Headless__Payments__Stripe__WebhookSecret", "Headless__Payments__Provider=test", "Headless__Catalog__LoadDemoCatalog",
            "Headless__DataProtection__CertificatePath", "Headless__DataProtection__CertificatePem", "Headless__Email__Smtp__Host",
        })
        {
            Assert.Contains(setting, run.Stderr);
        }
        AssertNoStackTrace(run.Output);
        // It stopped before starting anything: no private PostgreSQL, no first admin.
        Assert.DoesNotContain("PostgreSQL ready", run.Output);
        Assert.DoesNotContain("password", run.Stdout, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_missing_Stripe_webhook_secret_is_named_alone()
    {
        var settings = await Configured.AllAsync();
        settings.Remove("Headless__Payments__Stripe__WebhookSecret");
        var (exit, run) = await ApiBinary.RunAsync(settings);
        Assert.Equal(1, exit);
        Assert.Contains("Headless__Payments__Stripe__WebhookSecret", run.Stderr);
        Assert.DoesNotContain("Headless__Payments__Stripe__SecretKey", run.Stderr);
        Assert.DoesNotContain("Headless__Database__ConnectionString", run.Stderr);
        AssertNoStackTrace(run.Output);
    }

    [Fact]
    public async Task An_unreachable_database_is_one_clear_line_not_a_stack_trace()
    {
        var settings = await Configured.AllAsync();
        settings["Headless__Database__ConnectionString"] = $"Host=127.0.0.1;Port={ApiBinary.FreePort()};Username=nobody;Password=x;Database=nothing;Timeout=3";
        var (exit, run) = await ApiBinary.RunAsync(settings);
        Assert.Equal(1, exit);
        Assert.Contains("cannot reach its database", run.Stderr);
        Assert.Contains("Headless__Database__ConnectionString", run.Stderr);
        AssertNoStackTrace(run.Output);
    }

    [Fact]
    public async Task A_data_protection_certificate_that_cannot_be_read_refuses_start_up()
    {
        var settings = await Configured.AllAsync();
        settings["Headless__DataProtection__CertificatePassword"] = "not the password";
        var (exit, run) = await ApiBinary.RunAsync(settings);
        Assert.Equal(1, exit);
        Assert.Contains("Headless__DataProtection", run.Stderr);
        AssertNoStackTrace(run.Output);
    }

    [Fact]
    public async Task Production_with_everything_configured_starts_and_encrypts_its_data_protection_keys()
    {
        var settings = await Configured.AllAsync();
        var port = ApiBinary.FreePort();
        settings["Urls"] = $"http://127.0.0.1:{port}";
        await using var api = ApiBinary.Start(settings);
        var baseAddress = new Uri($"http://127.0.0.1:{port}");
        await api.WaitUntilReadyAsync(baseAddress);

        // The anti-forgery token is the first thing that needs a data-protection key: the key is made now.
        using var http = new HttpClient { BaseAddress = baseAddress };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/v1/auth/csrf")).StatusCode);
        await using var db = NpgsqlDataSource.Create(settings["Headless__Database__ConnectionString"]);
        await using var conn = await db.OpenConnectionAsync();
        var keys = (await conn.QueryAsync<string>("select xml from data_protection_keys")).ToList();
        Assert.NotEmpty(keys);
        Assert.All(keys, xml =>
        {
            Assert.Contains("encryptedSecret", xml);
            Assert.DoesNotContain("<masterKey", xml);
        });
        // No admin is created, and no password printed, outside Development.
        Assert.Equal(0, await conn.ExecuteScalarAsync<int>("select count(*) from user_roles where role = 'admin'"));
        Assert.DoesNotContain("First run", api.Output);
        AssertNoStackTrace(api.Output);
    }

    [Fact]
    public async Task Untrusted_proxy_settings_refuse_start_up_in_every_environment()
    {
        var (exit, run) = await ApiBinary.RunAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Headless__Http__KnownProxies"] = "10.0.0.7, 10.1.2",
            ["Headless__Http__KnownNetworks"] = "10.0.0.0/16,10.0.0.1/8,cloudfront",
        });
        Assert.Equal(1, exit);
        Assert.Contains("'10.1.2' is not an IP address", run.Stderr);
        Assert.Contains("'10.0.0.1/8' is not a CIDR range", run.Stderr);
        Assert.Contains("'cloudfront' is not a CIDR range", run.Stderr);
        Assert.DoesNotContain("10.0.0.7", run.Stderr);
        Assert.DoesNotContain("'10.0.0.0/16'", run.Stderr);
        AssertNoStackTrace(run.Output);
    }
}

/// <summary>A complete production configuration: a fresh test database, Stripe keys (never called here), a
/// data-protection certificate made for the test, an SMTP relay address, no demo catalog.</summary>
public static class Configured
{
    public const string CertificatePassword = "test certificate password";

    public static async Task<Dictionary<string, string>> AllAsync()
    {
        var database = await TestDatabase.CreateAsync();
        return new()
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Headless__Database__ConnectionString"] = database.App,
            ["Headless__Database__MigrationConnectionString"] = database.Owner,
            ["Headless__Payments__Stripe__SecretKey"] = "sk_test_production_startup",
            ["Headless__Payments__Stripe__PublishableKey"] = "pk_test_production_startup",
            ["Headless__Payments__Stripe__WebhookSecret"] = "whsec_production_startup",
            ["Headless__Catalog__LoadDemoCatalog"] = "false",
            ["Headless__DataProtection__CertificatePath"] = Certificate.Value,
            ["Headless__DataProtection__CertificatePassword"] = CertificatePassword,
            ["Headless__Email__Smtp__Host"] = "127.0.0.1",
            ["Headless__Email__Smtp__Port"] = ApiBinary.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            // The personal-data vaults (Platform/Vaults): TLS-verified databases nothing answers on here, so they start Degraded.
            ["Headless__Residency__Region"] = "eu",
            ["Headless__Residency__Regions__eu__ConnectionString"] = Vault("eu"),
            ["Headless__Residency__Regions__us__ConnectionString"] = Vault("us"),
            ["Headless__Residency__Regions__eu__ApiBaseUrl"] = "https://eu.shop.example",
            ["Headless__Residency__Regions__us__ApiBaseUrl"] = "https://us.shop.example",
            ["Headless__Residency__Regions__eu__KeyDirectory"] = Directory.CreateTempSubdirectory("headless-vault-keys-").FullName,
            ["Headless__Residency__Regions__eu__BlindIndexKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Headless__ErasureJournal__Directory"] = Directory.CreateTempSubdirectory("headless-erasures-").FullName,
            // These tests talk plain HTTP to 127.0.0.1; HttpsTests cover the production default (redirect and HSTS).
            ["Headless__Http__RequireHttps"] = "false",
        };
    }

    private static string Vault(string region) =>
        $"Host=127.0.0.1;Port={ApiBinary.FreePort()};Database=vault_{region};Username=headless_api;Password=unused;SSL Mode=VerifyFull;Timeout=3";

    private static readonly Lazy<string> Certificate = new(() =>
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=headless data protection (test)", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var path = Path.Combine(Path.GetTempPath(), $"headless-dp-{Guid.NewGuid():N}.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, CertificatePassword));
        return path;
    });
}
