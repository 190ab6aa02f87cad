using Amazon.KeyManagementService;
using Amazon.Runtime;
using Dapper;
using Headless.Api.Platform.Vaults;
using Headless.Tests.Platform;

namespace Headless.Tests.Vaults;

/// <summary>Online rotation of a region's key-encryption key (local key files).</summary>
public sealed class KekRotationTests(VaultApiFactory api) : IClassFixture<VaultApiFactory>
{
    [Fact]
    public async Task Rotation_rewraps_every_data_key_in_batches_while_concurrent_reads_and_writes_never_fail()
    {
        // Readers with no key cache, so every read unwraps through whichever KEK version the row has at that moment.
        var reader = api.VaultServing(Residency.Eu, new DataKeyCache(capacity: 0));
        var people = new List<(PersonRef Person, string Name)>();
        for (var i = 0; i < 120; i++)
        {
            var person = await api.Vault.CreatePersonAsync("DE");
            var name = $"Person {i} {Guid.NewGuid():N}";
            await api.Vault.PutAsync(person, new Dictionary<string, string?> { ["name"] = name });
            people.Add((person, name));
        }
        var rotation = new KekRotation(api.Regions);
        var before = await rotation.KeysByVersionAsync(Residency.Eu);
        var oldVersion = before.Keys.Max();

        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var reads = 0;
        var readsDuringRotation = 0;
        var rotating = false;
        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 4).Select(r => Task.Run(async () =>
        {
            var random = new Random(r);
            while (!stop.IsCancellationRequested)
            {
                var (person, name) = people[random.Next(people.Count)];
                try
                {
                    var fields = await reader.GetAsync(person);
                    if (fields?["name"] != name)
                    {
                        failures.Enqueue($"{person.Id}: read {fields?["name"] ?? "nothing"}");
                    }
                    if (r == 0)
                    {
                        // A writer too: a new value under the same data key while its wrapping moves.
                        await reader.PutAsync(person, new Dictionary<string, string?> { ["note"] = $"seen {reads}" });
                    }
                }
                catch (Exception e)
                {
                    failures.Enqueue($"{person.Id}: {e.GetType().Name} {e.Message}");
                }
                Interlocked.Increment(ref reads);
                if (Volatile.Read(ref rotating))
                {
                    Interlocked.Increment(ref readsDuringRotation);
                }
            }
        })).ToList();
        await Email.Eventually.WaitUntilAsync(() => Volatile.Read(ref reads) >= 50, TimeSpan.FromSeconds(30), "the readers are reading");

        Volatile.Write(ref rotating, true);
        var newVersion = await rotation.RotateAsync(Residency.Eu);
        // A person created after the rotation is wrapped by the new version at once.
        var late = await api.Vault.CreatePersonAsync("DE");
        var moved = 0;
        var checkedHalfWay = false;
        // Batches skip rows a writer holds at that moment (skip locked); loop until no key is left under the old version.
        while ((await rotation.KeysByVersionAsync(Residency.Eu)).Keys.Any(v => v != newVersion.Version))
        {
            moved += await rotation.RewrapBatchAsync(Residency.Eu, batchSize: 10);
            if (!checkedHalfWay && moved >= 60)
            {
                // Half-way, both versions are in use and both read.
                checkedHalfWay = true;
                var half = await rotation.KeysByVersionAsync(Residency.Eu);
                Assert.True(half.GetValueOrDefault(oldVersion) > 0 && half[newVersion.Version] > 0, string.Join(", ", half));
                await Email.Eventually.WaitUntilAsync(() => Volatile.Read(ref readsDuringRotation) >= 20, TimeSpan.FromSeconds(30), "reads happen during the rotation");
            }
        }
        Volatile.Write(ref rotating, false);
        var readsAtEnd = Volatile.Read(ref reads);
        await Email.Eventually.WaitUntilAsync(() => Volatile.Read(ref reads) >= readsAtEnd + 20, TimeSpan.FromSeconds(30), "reads continue after the rotation");
        await stop.CancelAsync();
        await Task.WhenAll(readers);

        Assert.Empty(failures);
        Assert.True(moved >= people.Count, $"moved {moved}");
        Assert.True(readsDuringRotation >= 20);
        var after = await rotation.KeysByVersionAsync(Residency.Eu);
        Assert.Equal([newVersion.Version], after.Keys);
        Assert.Equal(0, await rotation.RewrapBatchAsync(Residency.Eu));
        await using var db = api.VaultOwner(Residency.Eu);
        await using var conn = await db.OpenConnectionAsync();
        Assert.Equal(newVersion.Version, await conn.ExecuteScalarAsync<int>("select kek_version from vault_people where id = @Id", new { late.Id }));
        foreach (var (person, name) in people)
        {
            Assert.Equal(name, (await reader.GetAsync(person))!["name"]);
        }
    }

    [Fact]
    public async Task The_rotate_command_adds_a_version_and_rewraps_everything_against_a_running_API()
    {
        for (var i = 0; i < 5; i++)
        {
            await api.Vault.PutAsync(await api.Vault.CreatePersonAsync("SE"), new Dictionary<string, string?> { ["name"] = $"Sven {i}" });
        }
        var rotation = new KekRotation(api.Regions);
        var (exit, run) = await ApiBinary.RunAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Headless__Database__ConnectionString"] = api.ConnectionString,
            ["Headless__Database__MigrationConnectionString"] = api.OwnerConnectionString,
        }, "vault-rotate-kek", "--region=eu", "--batch=2");
        Assert.True(exit == 0, run.Output);
        var after = await rotation.KeysByVersionAsync(Residency.Eu);
        var only = Assert.Single(after.Keys);
        Assert.Contains($"every live data key is now under version {only}", run.Stdout);

        var (bad, refused) = await ApiBinary.RunAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Headless__Database__ConnectionString"] = api.ConnectionString,
            ["Headless__Database__MigrationConnectionString"] = api.OwnerConnectionString,
        }, "vault-rotate-kek", "--region=mars");
        Assert.Equal(2, bad);
        Assert.Contains("not a region", refused.Stderr);
    }
}

/// <summary>KEKs in AWS KMS. No KMS can run here: these tests use <see cref="KmsStandIn"/>, a stand-in on 127.0.0.1 speaking
/// KMS's JSON 1.1 wire protocol (signed requests, Encrypt/Decrypt with an encryption context), with the real
/// AWSSDK.KeyManagementService client pointed at it through ServiceURL. Its own API (and vaults), since it moves keys to KMS.</summary>
public sealed class KmsVaultTests(VaultApiFactory api) : IClassFixture<VaultApiFactory>, IAsyncLifetime
{
    private KmsStandIn _kms = null!;

    public async Task InitializeAsync() => _kms = await KmsStandIn.StartAsync();

    public async Task DisposeAsync() => await _kms.DisposeAsync();

    private IAmazonKeyManagementService KmsClient(string? url) => new AmazonKeyManagementServiceClient(
        new BasicAWSCredentials("AKIDHEADLESSTEST", "test-secret-key"),
        new AmazonKeyManagementServiceConfig { ServiceURL = url ?? _kms.Url, AuthenticationRegion = KmsStandIn.Region });

    /// <summary>The same two vault databases, with new KEK versions going to KMS (key files stay readable).</summary>
    private VaultRegions WithKms()
    {
        var residency = api.Regions.Residency;
        var eu = residency.Settings(Residency.Eu) with { KmsKeyId = KmsStandIn.Alias, KmsServiceUrl = _kms.Url };
        var settings = new Dictionary<string, RegionSettings>(residency.Regions) { [Residency.Eu] = eu };
        return VaultRegions.From(residency with { Regions = settings }, KmsClient);
    }

    [Fact]
    public async Task Keys_move_from_the_key_files_to_kms_and_are_unwrapped_by_kms_decrypt_bound_to_the_person()
    {
        var person = await api.Vault.CreatePersonAsync("NL");
        await api.Vault.PutAsync(person, new Dictionary<string, string?> { ["name"] = "Anouk" });

        await using var regions = WithKms();
        var rotation = new KekRotation(regions);
        var version = await rotation.RotateAsync(Residency.Eu);
        Assert.Equal(KmsProvider.ProviderName, version.Provider);
        Assert.Equal(KmsStandIn.Alias, version.KeyRef);
        Assert.True(await rotation.RewrapAllAsync(Residency.Eu) >= 1);
        Assert.Contains(_kms.Calls, c => c.Target == "TrentService.Encrypt");
        Assert.All(_kms.Calls, c => Assert.StartsWith("AWS4-HMAC-SHA256 Credential=AKIDHEADLESSTEST/", c.Authorization, StringComparison.Ordinal));

        var reader = new PersonalDataVault(regions, new DataKeyCache(capacity: 0));
        var decryptsBefore = _kms.Calls.Count(c => c.Target == "TrentService.Decrypt");
        Assert.Equal("Anouk", (await reader.GetAsync(person))!["name"]);
        Assert.Equal(decryptsBefore + 1, _kms.Calls.Count(c => c.Target == "TrentService.Decrypt"));
        var created = await reader.CreatePersonAsync("NL");
        await reader.PutAsync(created, new Dictionary<string, string?> { ["name"] = "Joost" });
        Assert.Equal("Joost", (await reader.GetAsync(created))!["name"]);

        // A wrapped key moved to another person: KMS refuses it, because the encryption context names the person.
        await using var db = api.VaultOwner(Residency.Eu);
        await using var conn = await db.OpenConnectionAsync();
        await conn.ExecuteAsync("update vault_people set wrapped_key = (select wrapped_key from vault_people where id = @from) where id = @to",
            new { from = person.Id, to = created.Id });
        await Assert.ThrowsAnyAsync<System.Security.Cryptography.CryptographicException>(() => reader.GetAsync(created));

        // KMS out of reach: the vault is unavailable (503), not broken.
        await using var unreachable = VaultRegions.From(regions.Residency, _ => KmsClient($"http://127.0.0.1:{Email.Eventually.FreeTcpPort()}"));
        var offline = new PersonalDataVault(unreachable, new DataKeyCache(capacity: 0));
        await Assert.ThrowsAsync<VaultUnavailableException>(() => offline.GetAsync(person));
    }
}
