using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Headless.Api.Platform.Database;
using Headless.Api.Platform.Hosting;

namespace Headless.Bench;

/// <summary>
/// What the API demands before it starts in Production (it refuses to start without them): the built-in test
/// payment provider chosen on purpose, a certificate for the data-protection keys (made for this run), and an
/// SMTP relay, the test suite's SMTP sink (`node tests/tools/smtp-sink.mjs`) writing into a scratch file.
/// Older builds measured through HEADLESS_BENCH_API_DLL ignore the settings they do not know.
/// </summary>
internal static class ProductionSettings
{
    private static readonly Lock Gate = new();
    private static Dictionary<string, string>? _environment;
    private static IReadOnlyDictionary<string, DatabaseLogins>? _vaults;

    private static string VaultKeyDirectory => Path.Combine(RepoPaths.Data, $"bench-vault-keys-{BenchOptions.PgPort}");

    /// <summary>Called once the bench's server is open: each region's vault database (API login and owner).</summary>
    public static void UseVaults(IReadOnlyDictionary<string, DatabaseLogins> vaults) => _vaults = vaults;

    private static DatabaseLogins VaultLogins(string region) =>
        _vaults?.GetValueOrDefault(region) ?? throw new BenchFailure($"No vault database for {region}: open the bench database before starting the API.");

    public static async Task<IReadOnlyDictionary<string, string>> EnvironmentAsync(string scratchDirectory, CancellationToken ct)
    {
        lock (Gate)
        {
            if (_environment is not null)
            {
                return _environment;
            }
        }
        Directory.CreateDirectory(scratchDirectory);
        var smtpPort = await StartSmtpSinkAsync(Path.Combine(scratchDirectory, "mail.jsonl"), ct);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Headless benchmark data protection", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var environment = new Dictionary<string, string>
        {
            ["Headless__Payments__Provider"] = "test",
            ["Headless__DataProtection__CertificatePem"] = certificate.ExportCertificatePem(),
            ["Headless__DataProtection__PrivateKeyPem"] = key.ExportPkcs8PrivateKeyPem(),
            ["Headless__Email__Smtp__Host"] = "127.0.0.1",
            ["Headless__Email__Smtp__Port"] = smtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // The personal-data vaults: databases of the bench's own server (BenchDatabase creates them), migrated by the API
            // at start-up as the owner, as a production release does. Shoppers are German, so the region served is eu.
            ["Headless__Residency__Region"] = "eu",
            ["Headless__Residency__Regions__eu__ConnectionString"] = VaultLogins("eu").App,
            ["Headless__Residency__Regions__eu__MigrationConnectionString"] = VaultLogins("eu").Owner,
            ["Headless__Residency__Regions__us__ConnectionString"] = VaultLogins("us").App,
            ["Headless__Residency__Regions__us__MigrationConnectionString"] = VaultLogins("us").Owner,
            ["Headless__Residency__Regions__eu__ApiBaseUrl"] = "https://eu.bench.example",
            ["Headless__Residency__Regions__us__ApiBaseUrl"] = "https://us.bench.example",
            // Kept beside the bench cluster, as long as its vault databases: a KEK file or blind-index key made per run would
            // leave the people of earlier runs unreadable (a 500 on their key file) and unfindable.
            ["Headless__Residency__Regions__eu__KeyDirectory"] = VaultKeyDirectory,
            ["Headless__Residency__Regions__eu__BlindIndexKey"] = Convert.ToBase64String(Api.Platform.Vaults.BlindIndexKey.LocalFile(VaultKeyDirectory, "eu")),
            ["Headless__ErasureJournal__Directory"] = Path.Combine(scratchDirectory, "erasures"),
            // wrk speaks plain HTTP to 127.0.0.1: TLS is the load balancer's, not what the bench measures.
            ["Headless__Http__RequireHttps"] = "false",
        };
        lock (Gate)
        {
            _environment ??= environment;
            return _environment;
        }
    }

    private static async Task<int> StartSmtpSinkAsync(string outputFile, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("node")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("tests/tools/smtp-sink.mjs");
        psi.ArgumentList.Add("0");
        psi.ArgumentList.Add(outputFile);
        var process = Process.Start(psi) ?? throw new BenchFailure("Could not start `node tests/tools/smtp-sink.mjs` (the SMTP relay the API needs in Production).");
        Children.Track(process);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null)
        {
            throw new BenchFailure($"The SMTP sink exited before it listened: {await process.StandardError.ReadToEndAsync(ct)} (`./build.sh bench` installs its npm packages; by hand: npm ci).");
        }
        using var ready = JsonDocument.Parse(line);
        Log.Info($"SMTP sink for the API's mail listening on 127.0.0.1:{ready.RootElement.GetProperty("port").GetInt32()}.");
        return ready.RootElement.GetProperty("port").GetInt32();
    }
}
