using Dapper;

namespace Headless.Api.Platform.Vaults;

/// <summary>
/// Online KEK rotation. <see cref="RotateAsync"/> adds a KEK version: new data keys are wrapped by it at once. The re-wrap
/// then moves the existing data keys to it in small batches, each its own short transaction that locks only its rows
/// (`for update skip locked`, so two re-wrappers share the work); reads never wait, and a data key not yet moved is still
/// read through its old version. The data keys themselves do not change, so no field is re-encrypted.
/// </summary>
public sealed class KekRotation(VaultRegions regions)
{
    public const int DefaultBatchSize = 200;

    public async Task<KekVersion> RotateAsync(string region, CancellationToken ct = default)
    {
        var vault = regions[region];
        await using var conn = await vault.Database.Open().OpenConnectionAsync(ct);
        return await vault.Keks.AddVersionAsync(conn, ct);
    }

    /// <summary>Re-wraps one batch of data keys still under an older KEK version; returns how many it moved (0: done).</summary>
    public async Task<int> RewrapBatchAsync(string region, int batchSize = DefaultBatchSize, CancellationToken ct = default)
    {
        var vault = regions[region];
        await using var conn = await vault.Database.Open().OpenConnectionAsync(ct);
        if (await KekRing.CurrentAsync(conn) is not { } current)
        {
            return 0;
        }
        await using var tx = await conn.BeginTransactionAsync(ct);
        var rows = (await conn.QueryAsync<(Guid Id, int KekVersion, byte[] WrappedKey)>("""
            select id, kek_version, wrapped_key from vault_people
            where wrapped_key is not null and kek_version < @Version
            order by kek_version, id
            limit @batchSize
            for update skip locked
            """, new { current.Version, batchSize }, tx)).ToList();
        var versions = new Dictionary<int, KekVersion>();
        foreach (var (id, version, wrapped) in rows)
        {
            if (!versions.TryGetValue(version, out var old))
            {
                versions[version] = old = await vault.Keks.VersionAsync(conn, version);
            }
            var dataKey = await vault.Keks.UnwrapAsync(old, id, wrapped, ct);
            var rewrapped = await vault.Keks.WrapAsync(current, id, dataKey, ct);
            await conn.ExecuteAsync("update vault_people set kek_version = @Version, wrapped_key = @rewrapped where id = @id",
                new { current.Version, rewrapped, id }, tx);
        }
        await tx.CommitAsync(ct);
        return rows.Count;
    }

    /// <summary>Batches until no data key is left under an older version; returns how many were moved.</summary>
    public async Task<int> RewrapAllAsync(string region, int batchSize = DefaultBatchSize, CancellationToken ct = default)
    {
        var total = 0;
        for (int moved; (moved = await RewrapBatchAsync(region, batchSize, ct)) > 0;)
        {
            total += moved;
        }
        return total;
    }

    /// <summary>How many live data keys are wrapped by each KEK version.</summary>
    public async Task<IReadOnlyDictionary<int, long>> KeysByVersionAsync(string region, CancellationToken ct = default)
    {
        await using var conn = await regions[region].Database.Open().OpenConnectionAsync(ct);
        return (await conn.QueryAsync<(int Version, long Keys)>(
                "select kek_version, count(*) from vault_people where wrapped_key is not null group by kek_version"))
            .ToDictionary(r => r.Version, r => r.Keys);
    }
}

/// <summary>Finishes any rotation in the background (the regions this API serves): every few minutes, the data keys still under an
/// older KEK version are re-wrapped in batches. A rotation started by `vault-rotate-kek` is finished by that command; this
/// catches the keys that instances still on the old version wrapped meanwhile.</summary>
public sealed class KekRewrapService(KekRotation rotation, VaultRegions regions, ILogger<KekRewrapService> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            foreach (var region in regions.Residency.Served)
            {
                try
                {
                    var moved = await rotation.RewrapAllAsync(region, KekRotation.DefaultBatchSize, stoppingToken);
                    if (moved > 0)
                    {
                        log.LogInformation("Vault {Region}: {Moved} data keys re-wrapped under the newest KEK version", region, moved);
                    }
                }
                catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException or System.Security.Cryptography.CryptographicException
                    or HttpRequestException or Amazon.Runtime.AmazonServiceException)
                {
                    log.LogWarning("Vault {Region}: re-wrap did not run ({Error}); retried in {Interval}", region, e.GetType().Name, Interval);
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
