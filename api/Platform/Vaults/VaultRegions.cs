namespace Headless.Api.Platform.Vaults;

/// <summary>Each region's vault database, KEK ring and blind-index key: what the vault and the re-wrap job work with.</summary>
public sealed class VaultRegions(Residency residency, IReadOnlyDictionary<string, VaultRegion> regions) : IAsyncDisposable
{
    public Residency Residency => residency;

    public VaultRegion this[string region] => regions[region];

    public IEnumerable<VaultRegion> All => regions.Values;

    public static VaultRegions From(Residency residency, Func<string?, Amazon.KeyManagementService.IAmazonKeyManagementService>? kmsClient = null) =>
        new(residency, residency.Regions.Values.ToDictionary(s => s.Region, s => new VaultRegion(new VaultDatabase(s), KekRing.From(s, kmsClient), s.BlindIndexKey),
            StringComparer.Ordinal));

    public async ValueTask DisposeAsync()
    {
        foreach (var region in regions.Values)
        {
            await region.Database.DisposeAsync();
        }
    }
}

public sealed record VaultRegion(VaultDatabase Database, KekRing Keks, byte[]? BlindIndexKey)
{
    public string Region => Database.Region;
}
