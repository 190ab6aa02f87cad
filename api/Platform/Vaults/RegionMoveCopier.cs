using System.Security.Cryptography;
using Dapper;
using Npgsql;

namespace Headless.Api.Platform.Vaults;

/// <summary>
/// The vault half of moving a person to the other region (the staff action `MoveCustomerRegion`): every field of the
/// person is copied into a new person of the target region (a fresh data key wrapped by the target's KEK; the email's
/// blind index under the target's blind-index key), then read back through the target's KEK (the cached key is dropped
/// first) and compared with the source field by field. Anything but an exact copy shreds the copy and throws, so the
/// source stays the one readable copy. Shredding, of the copy or of the source once core is repointed, is
/// <see cref="PersonalDataVault.ShredAsync"/>: journaled, so a restored backup cannot bring either back.
/// The move writes into a vault this API never serves requests from (production serves its own region only), so it works
/// through a view of the vaults that serves both regions, and needs the target region's settings (<see cref="MissingSettings"/>).
/// </summary>
public sealed class RegionMoveCopier(VaultRegions regions, DataKeyCache cache, ErasureJournal journal)
{
    private readonly PersonalDataVault _both = new(
        new VaultRegions(regions.Residency with { ServesAllRegions = true }, regions.All.ToDictionary(r => r.Region, StringComparer.Ordinal)), cache, journal);

    /// <summary>Test seam: runs between the copy and its verification (a test damages the copy here).</summary>
    public Func<PersonRef, Task>? BeforeVerifyForTests { get; set; }

    /// <summary>Test seam: runs before the source is shredded, after core was repointed (a test interrupts the move here).</summary>
    public Func<PersonRef, Task>? BeforeShredSourceForTests { get; set; }

    /// <summary>What this API lacks to write a person into <paramref name="region"/>'s vault: the environment variables to set.</summary>
    public IReadOnlyList<string> MissingSettings(string region)
    {
        var settings = regions.Residency.Settings(region);
        var prefix = $"Headless__Residency__Regions__{region}__";
        var missing = new List<string>();
        if (settings.ConnectionString is null)
        {
            missing.Add($"{prefix}ConnectionString (the {region} vault's database)");
        }
        if (settings.KmsKeyId is null && settings.KeyDirectory is null)
        {
            missing.Add($"{prefix}KmsKeyId or {prefix}KeyDirectory (the {region} key-encryption key that wraps the moved person's data key)");
        }
        if (settings.BlindIndexKey is null)
        {
            missing.Add($"{prefix}BlindIndexKey (the {region} email lookup key, so the customer can sign in there)");
        }
        return missing;
    }

    /// <summary>A new, empty person in the target region. The source's country stays when it belongs to the target region
    /// (a customer put in the wrong region); otherwise it no longer says where they live, and is unknown until they say.</summary>
    public async Task<PersonRef> CreateTargetAsync(PersonRef source, string targetRegion, CancellationToken ct)
    {
        var country = await OnVaultAsync(source.Region, async conn => await conn.QuerySingleOrDefaultAsync<string?>(
            "select country from vault_people where id = @Id and wrapped_key is not null", new { source.Id }), ct);
        var kept = country is not null && regions.Residency.RegionOf(country) == targetRegion ? country : null;
        return await _both.CreatePersonInAsync(targetRegion, kept, ct);
    }

    /// <summary>Copies every field of <paramref name="source"/> into <paramref name="target"/> and verifies the copy; returns
    /// the fields copied. On failure the copy is shredded and <see cref="RegionMoveFailedException"/> says why.</summary>
    public async Task<IReadOnlyDictionary<string, string>> CopyAsync(PersonRef source, PersonRef target, CancellationToken ct)
    {
        var fields = await _both.GetAsync(source, ct) ?? throw new PersonNotFoundException();
        try
        {
            await _both.PutAsync(target, fields.ToDictionary(f => f.Key, f => (string?)f.Value, StringComparer.Ordinal), ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await DiscardAsync(target, ct);
            throw new RegionMoveFailedException(RegionMoveFailure.EmailTaken,
                $"The {target.Region} vault already holds another person with this customer's email address (for example guest orders placed with the {target.Region} shop). Nothing was moved.");
        }
        if (BeforeVerifyForTests is { } seam)
        {
            await seam(target);
        }
        if (await DifferenceAsync(fields, target, ct) is { } difference)
        {
            await DiscardAsync(target, ct);
            throw new RegionMoveFailedException(RegionMoveFailure.NotVerified,
                $"The copy in the {target.Region} vault did not read back identical ({difference}); the copy was removed and nothing changed. Try again; if it keeps failing, check the {target.Region} vault and its keys.");
        }
        return fields;
    }

    /// <summary>Why the copy differs from <paramref name="expected"/> (a field name, never a value), or null when it is exact.</summary>
    private async Task<string?> DifferenceAsync(IReadOnlyDictionary<string, string> expected, PersonRef target, CancellationToken ct)
    {
        // Read back through the target's KEK: the data key cached when the person was made would prove nothing about the wrapped one.
        cache.Evict(target.Id);
        IReadOnlyDictionary<string, string>? copy;
        try
        {
            copy = await _both.GetAsync(target, ct);
        }
        catch (CryptographicException)
        {
            return "a field or the data key does not decrypt";
        }
        if (copy is null)
        {
            return "the person is missing";
        }
        if (expected.Keys.FirstOrDefault(name => !copy.TryGetValue(name, out var value) || value != expected[name]) is { } differs)
        {
            return $"field {differs}";
        }
        if (copy.Keys.FirstOrDefault(name => !expected.ContainsKey(name)) is { } extra)
        {
            return $"extra field {extra}";
        }
        if (expected.TryGetValue(PersonalDataVault.EmailField, out var email))
        {
            var vault = regions[target.Region];
            var index = BlindIndexKey.Of(vault.BlindIndexKey!, email);
            var found = await OnVaultAsync(target.Region, async conn => await conn.QuerySingleOrDefaultAsync<Guid?>(PersonalDataVault.FindByEmailSql, new { index }), ct);
            if (found != target.Id)
            {
                return "the email lookup index";
            }
        }
        return null;
    }

    /// <summary>True when the source still holds exactly the fields copied; call it while <see cref="HoldAsync"/> locks the source.</summary>
    public async Task<bool> UnchangedAsync(PersonRef source, IReadOnlyDictionary<string, string> copied, CancellationToken ct)
    {
        var now = await _both.GetAsync(source, ct);
        return now is not null && now.Count == copied.Count && now.All(f => copied.TryGetValue(f.Key, out var value) && value == f.Value);
    }

    /// <summary>Locks the source person's row until disposed: a write to the person (an order's contact, an address, mail)
    /// waits, so nothing lands in the source between the last comparison and the repoint of core.</summary>
    public async Task<IAsyncDisposable> HoldAsync(PersonRef source, CancellationToken ct)
    {
        var conn = await OpenAsync(source.Region, ct);
        try
        {
            var tx = await conn.BeginTransactionAsync(ct);
            await conn.ExecuteAsync("select 1 from vault_people where id = @Id for update", new { source.Id }, tx);
            return new Hold(conn, tx);
        }
        catch (Exception e) when (Problems.DatabaseUnavailable.Is(e))
        {
            await conn.DisposeAsync();
            throw new VaultUnavailableException(source.Region, e);
        }
        catch
        {
            await conn.DisposeAsync();
            throw;
        }
    }

    /// <summary>Shreds the copy of a move that did not finish (journaled: a backup of the target cannot bring it back).</summary>
    public Task DiscardAsync(PersonRef target, CancellationToken ct) => _both.ShredAsync(target, ct);

    /// <summary>Shreds the source once core names the target (journaled, so a restored old backup of the source vault does
    /// not bring the person back readable there).</summary>
    public async Task ShredSourceAsync(PersonRef source, CancellationToken ct)
    {
        if (BeforeShredSourceForTests is { } seam)
        {
            await seam(source);
        }
        await _both.ShredAsync(source, ct);
    }

    private async Task<T> OnVaultAsync<T>(string region, Func<NpgsqlConnection, Task<T>> work, CancellationToken ct)
    {
        await using var conn = await OpenAsync(region, ct);
        try
        {
            return await work(conn);
        }
        catch (Exception e) when (Problems.DatabaseUnavailable.Is(e))
        {
            throw new VaultUnavailableException(region, e);
        }
    }

    private async Task<NpgsqlConnection> OpenAsync(string region, CancellationToken ct)
    {
        try
        {
            return await regions[region].Database.Open().OpenConnectionAsync(ct);
        }
        catch (Exception e) when (Problems.DatabaseUnavailable.Is(e))
        {
            throw new VaultUnavailableException(region, e);
        }
    }

    private sealed class Hold(NpgsqlConnection conn, NpgsqlTransaction tx) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await tx.DisposeAsync();
            await conn.DisposeAsync();
        }
    }
}

public enum RegionMoveFailure
{
    EmailTaken,
    NotVerified,
}

/// <summary>A move stopped before core was repointed; the copy is gone and the customer is where they were.</summary>
public sealed class RegionMoveFailedException(RegionMoveFailure failure, string detail) : Exception(detail)
{
    public RegionMoveFailure Failure { get; } = failure;
}
