using System.Security.Cryptography;
using Dapper;
using Npgsql;

namespace Headless.Api.Platform.Vaults;

public sealed record KekVersion(int Version, string Provider, string KeyRef);

/// <summary>
/// A region's KEK versions (rows of vault_kek_versions) and the providers that hold them. New data keys are wrapped by the
/// newest version; a data key wrapped by any older version stays readable until the re-wrap job has moved it, which is
/// what lets a rotation run while reads and writes continue. New versions go to KMS when `KmsKeyId` is set, else to key files.
/// </summary>
public sealed class KekRing(string region, IReadOnlyDictionary<string, IKeyEncryptionKeyProvider> providers, string currentProvider)
{
    public string Region => region;

    public static KekRing From(RegionSettings settings, Func<string?, Amazon.KeyManagementService.IAmazonKeyManagementService>? kmsClient = null)
    {
        var providers = new Dictionary<string, IKeyEncryptionKeyProvider>(StringComparer.Ordinal);
        if (settings.KeyDirectory is { } directory)
        {
            providers[KeyFileProvider.ProviderName] = new KeyFileProvider(directory, settings.Region);
        }
        if (settings.KmsKeyId is { } keyId)
        {
            var client = (kmsClient ?? KmsProvider.Client)(settings.KmsServiceUrl);
            providers[KmsProvider.ProviderName] = new KmsProvider(client, keyId);
        }
        var current = settings.KmsKeyId is not null ? KmsProvider.ProviderName : KeyFileProvider.ProviderName;
        return new KekRing(settings.Region, providers, current);
    }

    private IKeyEncryptionKeyProvider Provider(string name) => providers.TryGetValue(name, out var p)
        ? p
        : throw new InvalidOperationException($"The {region} vault has keys wrapped by the '{name}' provider, which is not configured.");

    /// <summary>The KEK versions whose key this instance cannot use: a provider that is not configured, or a key file
    /// that is not there (see <see cref="IKeyEncryptionKeyProvider.IsPresent"/>).</summary>
    public async Task<IReadOnlyList<KekVersion>> MissingAsync(NpgsqlConnection conn) =>
        (await conn.QueryAsync<KekVersion>("select version, provider, key_ref as keyref from vault_kek_versions order by version"))
            .Where(k => !providers.TryGetValue(k.Provider, out var p) || !p.IsPresent(k.KeyRef))
            .ToList();

    public static async Task<KekVersion?> CurrentAsync(NpgsqlConnection conn) =>
        await conn.QuerySingleOrDefaultAsync<KekVersion>("select version, provider, key_ref as keyref from vault_kek_versions order by version desc limit 1");

    /// <summary>The newest version, made (version 1) when the vault has none yet.</summary>
    public async Task<KekVersion> CurrentOrFirstAsync(NpgsqlConnection conn, CancellationToken ct) =>
        await CurrentAsync(conn) ?? await AddVersionAsync(conn, ct);

    /// <summary>A new KEK version, newer than every existing one: from now on new and re-wrapped data keys use it.</summary>
    public async Task<KekVersion> AddVersionAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var provider = Provider(currentProvider);
        var keyRef = await provider.CreateAsync(ct);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await conn.QuerySingleAsync<KekVersion>("""
                    insert into vault_kek_versions (version, provider, key_ref)
                    select coalesce(max(version), 0) + 1, @provider, @keyRef from vault_kek_versions
                    returning version, provider, key_ref as keyref
                    """, new { provider = provider.Name, keyRef });
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && attempt < 5)
            {
                // Another instance added a version at the same moment; take the next number.
            }
        }
    }

    public async Task<KekVersion> VersionAsync(NpgsqlConnection conn, int version) =>
        await conn.QuerySingleOrDefaultAsync<KekVersion>("select version, provider, key_ref as keyref from vault_kek_versions where version = @version", new { version })
        ?? throw new CryptographicException($"KEK version {version} is unknown in the {region} vault.");

    public Task<byte[]> WrapAsync(KekVersion kek, Guid person, byte[] dataKey, CancellationToken ct) =>
        Provider(kek.Provider).WrapAsync(kek.KeyRef, dataKey, FieldCipher.DataKeyContext(region, person), ct);

    public Task<byte[]> UnwrapAsync(KekVersion kek, Guid person, byte[] wrapped, CancellationToken ct) =>
        Provider(kek.Provider).UnwrapAsync(kek.KeyRef, wrapped, FieldCipher.DataKeyContext(region, person), ct);
}
