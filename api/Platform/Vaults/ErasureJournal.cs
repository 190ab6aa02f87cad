using System.Collections.Concurrent;
using Dapper;
using Npgsql;

namespace Headless.Api.Platform.Vaults;

/// <summary>
/// Why erasure survives a backup restore. <see cref="PersonalDataVault.ShredAsync"/> destroys a person's data key, but a
/// backup of the vault taken before still holds it: restore that backup and the person is back. So every erasure is
/// written first to this journal, kept outside the vault twice over (the core table `erasure_journal` and one object per
/// erasure in the <see cref="IErasureArchive"/>), and <see cref="ReapplyAsync"/> shreds again every journaled person
/// whose key a restore brought back. It runs when the API starts (before the vault is reported ready; the ready check
/// retries it while it has not succeeded) and from the `vault-reapply-erasures` command that `./build.sh restore` runs.
/// Either copy alone is enough: the core database may be restored to before the erasure too, and the archive may lag
/// an erasure whose write to it failed (re-applying fills each copy from the other).
/// </summary>
public sealed class ErasureJournal(NpgsqlDataSource core, IErasureArchive archive, ILogger<ErasureJournal> log)
{
    private const int Batch = 5_000;
    private readonly ConcurrentDictionary<string, bool> _reapplied = new(StringComparer.Ordinal);

    public IErasureArchive Archive => archive;

    /// <summary>Journals the erasure in both copies; it is written before the key is destroyed, so a shred that fails
    /// half-way is finished by the next re-apply rather than forgotten.</summary>
    public async Task RecordAsync(PersonRef person, CancellationToken ct)
    {
        var erasure = new Erasure(person.Id, person.Region, DateTimeOffset.UtcNow);
        await using (var conn = await core.OpenConnectionAsync(ct))
        {
            await conn.ExecuteAsync("insert into erasure_journal (person_id, region, erased_at) values (@PersonId, @Region, @ErasedAt) on conflict (person_id) do nothing",
                erasure);
        }
        await archive.AppendAsync(erasure, ct);
    }

    /// <summary>True once this process re-applied the journal to the region's vault.</summary>
    public bool IsReapplied(string region) => _reapplied.ContainsKey(region);

    /// <summary>Re-applies the journal to the region's vault unless this process already did.</summary>
    public async Task EnsureReappliedAsync(VaultRegion vault, DataKeyCache cache, CancellationToken ct)
    {
        if (!IsReapplied(vault.Region))
        {
            await ReapplyAsync(vault, cache, ct);
        }
    }

    /// <summary>Shreds again every journaled person of the region whose data key is in the vault (brought back by a
    /// restore), after merging the two copies of the journal; returns the people shredded again.</summary>
    public async Task<IReadOnlyList<Guid>> ReapplyAsync(VaultRegion vault, DataKeyCache cache, CancellationToken ct)
    {
        var region = vault.Region;
        var archived = await archive.ListAsync(region, ct);
        List<Erasure> tabled;
        await using (var conn = await core.OpenConnectionAsync(ct))
        {
            tabled = (await conn.QueryAsync<(Guid PersonId, string Region, DateTime ErasedAt)>(
                    "select person_id, region, erased_at from erasure_journal where region = @region", new { region }))
                .Select(r => new Erasure(r.PersonId, r.Region, new DateTimeOffset(DateTime.SpecifyKind(r.ErasedAt, DateTimeKind.Utc))))
                .ToList();
            var inTable = tabled.Select(e => e.PersonId).ToHashSet();
            // A core database restored to before some erasures gets them back from the archive.
            var missing = archived.Where(e => !inTable.Contains(e.PersonId)).ToList();
            foreach (var chunk in missing.Chunk(Batch))
            {
                await conn.ExecuteAsync("""
                    insert into erasure_journal (person_id, region, erased_at)
                    select * from unnest(@ids, @regions, @times) on conflict (person_id) do nothing
                    """, new { ids = chunk.Select(e => e.PersonId).ToArray(), regions = chunk.Select(e => e.Region).ToArray(), times = chunk.Select(e => e.ErasedAt.UtcDateTime).ToArray() });
            }
        }
        // An erasure whose archive write failed after the table's (the shred then failed too) is archived now.
        var inArchive = archived.Select(e => e.PersonId).ToHashSet();
        foreach (var erasure in tabled.Where(e => !inArchive.Contains(e.PersonId)))
        {
            await archive.AppendAsync(erasure, ct);
        }

        var people = inArchive.Union(tabled.Select(e => e.PersonId)).ToArray();
        var shredded = new List<Guid>();
        await using (var conn = await vault.Database.Open().OpenConnectionAsync(ct))
        {
            foreach (var chunk in people.Chunk(Batch))
            {
                await using var tx = await conn.BeginTransactionAsync(ct);
                var again = (await conn.QueryAsync<Guid>("""
                    update vault_people set wrapped_key = null, kek_version = null, email_index = null, email_claim_index = null,
                        shredded_at = coalesce(shredded_at, now())
                    where id = any(@chunk) and wrapped_key is not null
                    returning id
                    """, new { chunk }, tx)).ToList();
                // Fields restored beside a tombstone are ciphertext nobody can open; they go too.
                await conn.ExecuteAsync("delete from vault_fields where person_id = any(@chunk)", new { chunk }, tx);
                await tx.CommitAsync(ct);
                shredded.AddRange(again);
            }
        }
        foreach (var id in shredded)
        {
            cache.Evict(id);
        }
        _reapplied[region] = true;
        if (shredded.Count > 0)
        {
            log.LogWarning("Erasure journal: {Count} erased people of the {Region} vault had their data keys back (a restored backup?); shredded again",
                shredded.Count, region);
        }
        log.LogInformation("Erasure journal re-applied to the {Region} vault: {Journaled} erasures journaled, {Again} shredded again", region, people.Length, shredded.Count);
        return shredded;
    }
}
