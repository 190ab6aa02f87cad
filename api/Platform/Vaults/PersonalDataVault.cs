using System.Security.Cryptography;
using System.Text;
using Dapper;
using Headless.Api.Platform.Geography;
using Npgsql;

namespace Headless.Api.Platform.Vaults;

/// <summary>A person as the core database refers to them: a pseudonymous id and the region whose vault holds their data.</summary>
public sealed record PersonRef(Guid Id, string Region);

/// <summary>
/// People's personal fields, in the vault of their region, each encrypted under the person's own data key
/// (<see cref="FieldCipher"/>), the data key wrapped by the region's KEK (<see cref="KekRing"/>). This API serves only
/// <see cref="Residency.Served"/> (its own region; both in a local run): a person of another region raises
/// <see cref="WrongRegionException"/> (421 naming that region's API), and a vault that cannot be reached raises
/// <see cref="VaultUnavailableException"/> (503, Retry-After).
/// Erasure is <see cref="ShredAsync"/>: the data key is destroyed, so every copy of the fields, in replicas and old
/// backups of vault_fields, is ciphertext nobody can open; and the <see cref="ErasureJournal"/> (when given: the API's
/// vault always has one) keeps the erasure outside the vault, so a restored backup's copy of the key is shredded again.
/// </summary>
public sealed class PersonalDataVault(VaultRegions regions, DataKeyCache cache, ErasureJournal? journal = null)
{
    public const string EmailField = "email";

    public string Region => regions.Residency.Region;

    /// <summary>Whether this API reads and writes <paramref name="region"/>'s vault.</summary>
    public bool Serves(string region) => regions.Residency.Serves(region);

    /// <summary>A new person in the vault of <paramref name="country"/>'s region, with a fresh data key.</summary>
    public async Task<PersonRef> CreatePersonAsync(string country, CancellationToken ct = default)
    {
        country = CountryCode(country);
        return await InsertPersonAsync(regions.Residency.RegionOf(country), country, ct);
    }

    private static string CountryCode(string country) =>
        KnownCountry(country) ?? throw new ArgumentException($"'{country.Trim().ToUpperInvariant()}' is not an ISO 3166-1 alpha-2 country code.", nameof(country));

    /// <summary>The ISO code, trimmed and upper-cased; null when there is none or it is not a code (the country unknown).</summary>
    private static string? KnownCountry(string? country) =>
        country?.Trim().ToUpperInvariant() is { } code && Countries.IsCode(code) ? code : null;

    /// <summary>A new person row in <paramref name="region"/>'s vault: a fresh data key, wrapped by the region's current KEK.</summary>
    private async Task<PersonRef> InsertPersonAsync(string region, string? country, CancellationToken ct)
    {
        var person = new PersonRef(Guid.CreateVersion7(), region);
        var vault = Served(person);
        var dataKey = RandomNumberGenerator.GetBytes(32);
        await GuardAsync(vault, async () =>
        {
            await using var conn = await vault.Database.Open().OpenConnectionAsync(ct);
            var kek = await vault.Keks.CurrentOrFirstAsync(conn, ct);
            var wrapped = await vault.Keks.WrapAsync(kek, person.Id, dataKey, ct);
            await conn.ExecuteAsync("insert into vault_people (id, country, kek_version, wrapped_key) values (@Id, @country, @Version, @wrapped)",
                new { person.Id, country, kek.Version, wrapped });
            return 0;
        }, ct);
        cache.Set(person.Id, dataKey);
        return person;
    }

    /// <summary>Sets fields (a null value removes the field). The email field also sets the blind index it is found by.</summary>
    /// <remarks>One statement, so one round trip and one commit when the data key is cached (a second one reads the wrapped
    /// key first when it is not). The statement locks the person's row: a concurrent shred waits, and a person shredded
    /// since (another instance may still cache the key) gets nothing written and raises <see cref="PersonNotFoundException"/>.
    /// The lock is a share lock unless the email (and so the row's index) changes: one person's concurrent checkouts each
    /// write their own order's fields and need not wait for one another, each holding a vault turn.</remarks>
    public Task PutAsync(PersonRef person, IReadOnlyDictionary<string, string?> fields, CancellationToken ct = default) =>
        WriteAsync(person, fields, OwnerIndex, ct);

    /// <summary>Sets fields; the email field also sets <paramref name="indexColumn"/> (the owner's index, or an unconfirmed claim).</summary>
    private async Task WriteAsync(PersonRef person, IReadOnlyDictionary<string, string?> fields, string indexColumn, CancellationToken ct)
    {
        var vault = Served(person);
        await GuardAsync(vault, async () =>
        {
            await using var conn = await vault.Database.Open().OpenConnectionAsync(ct);
            if (!cache.TryGet(person.Id, out var dataKey))
            {
                var row = await conn.QuerySingleOrDefaultAsync<KeyRow>(
                    "select kek_version as kekversion, wrapped_key as wrappedkey from vault_people where id = @Id and wrapped_key is not null",
                    new { person.Id }) ?? throw new PersonNotFoundException();
                dataKey = await DataKeyAsync(vault, conn, person.Id, row, ct);
            }
            var written = fields.Where(f => f.Value is not null).ToList();
            var names = written.Select(f => f.Key).ToArray();
            var ciphertexts = written.Select(f => FieldCipher.Encrypt(dataKey, Encoding.UTF8.GetBytes(f.Value!), FieldCipher.FieldContext(person.Id, f.Key))).ToArray();
            var deleted = fields.Where(f => f.Value is null).Select(f => f.Key).ToArray();
            var setsIndex = fields.TryGetValue(EmailField, out var email);
            var index = email is null ? null : BlindIndexKey.Of(BlindKey(vault), email);
            var found = await conn.ExecuteScalarAsync<bool>(PutSql[(indexColumn, setsIndex)], new { person.Id, names, ciphertexts, deleted, setsIndex, index });
            if (!found)
            {
                throw new PersonNotFoundException();
            }
            return 0;
        }, ct);
    }

    // The email field sets the owner's blind index, or (an account not confirmed yet) only its claim on the address.
    private const string PutSqlTemplate = """
        with person as (select id from vault_people where id = @Id and wrapped_key is not null {1}),
        removed as (delete from vault_fields f using person where f.person_id = person.id and f.name = any(@deleted)),
        indexed as (update vault_people p set {0} = @index from person where @setsIndex and p.id = person.id),
        upserted as (
            insert into vault_fields (person_id, name, ciphertext)
            select person.id, u.name, u.ciphertext from person, unnest(@names::text[], @ciphertexts::bytea[]) as u(name, ciphertext)
            on conflict (person_id, name) do update set ciphertext = excluded.ciphertext, updated_at = now())
        select exists (select 1 from person)
        """;

    private const string OwnerIndex = "email_index";
    private const string ClaimIndex = "email_claim_index";

    // Per index column and whether the put sets it: only a put that updates the person's row locks it for update.
    private static readonly Dictionary<(string IndexColumn, bool SetsIndex), string> PutSql =
        new[] { OwnerIndex, ClaimIndex }.SelectMany(column => new[] { true, false }.Select(sets => (column, sets)))
            .ToDictionary(k => k, k => string.Format(System.Globalization.CultureInfo.InvariantCulture, PutSqlTemplate, k.column, k.sets ? "for update" : "for share"));

    /// <summary>The person's fields in clear; null when the vault has no such person, or the person was shredded.</summary>
    public async Task<IReadOnlyDictionary<string, string>?> GetAsync(PersonRef person, CancellationToken ct = default)
    {
        var vault = Served(person);
        return await GuardAsync(vault, async () =>
        {
            await using var conn = await vault.Database.Open().OpenConnectionAsync(ct);
            var rows = (await conn.QueryAsync<FieldRow>("""
                select p.kek_version as kekversion, p.wrapped_key as wrappedkey, f.name, f.ciphertext
                from vault_people p left join vault_fields f on f.person_id = p.id
                where p.id = @Id and p.wrapped_key is not null
                """, new { person.Id })).ToList();
            if (rows.Count == 0)
            {
                return null;
            }
            var dataKey = await DataKeyAsync(vault, conn, person.Id, new KeyRow(rows[0].KekVersion, rows[0].WrappedKey), ct);
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var row in rows.Where(r => r.Name is not null))
            {
                fields[row.Name!] = Encoding.UTF8.GetString(FieldCipher.Decrypt(dataKey, row.Ciphertext!, FieldCipher.FieldContext(person.Id, row.Name!)));
            }
            return (IReadOnlyDictionary<string, string>?)fields;
        }, ct);
    }

    /// <summary>Many people's fields in clear, one query per region (a list screen's page); shredded or unknown people are
    /// absent from the answer.</summary>
    public async Task<IReadOnlyDictionary<PersonRef, IReadOnlyDictionary<string, string>>> GetManyAsync(IEnumerable<PersonRef> people, CancellationToken ct = default)
    {
        var answer = new Dictionary<PersonRef, IReadOnlyDictionary<string, string>>();
        foreach (var group in people.Distinct().GroupBy(p => p.Region))
        {
            var vault = Served(group.First());
            var ids = group.Select(p => p.Id).ToArray();
            await GuardAsync(vault, async () =>
            {
                await using var conn = await vault.Database.Open().OpenConnectionAsync(ct);
                var rows = await conn.QueryAsync<PersonFieldRow>("""
                    select p.id, p.kek_version as kekversion, p.wrapped_key as wrappedkey, f.name, f.ciphertext
                    from vault_people p left join vault_fields f on f.person_id = p.id
                    where p.id = any(@ids) and p.wrapped_key is not null
                    """, new { ids });
                foreach (var person in rows.GroupBy(r => r.Id))
                {
                    var first = person.First();
                    var dataKey = await DataKeyAsync(vault, conn, person.Key, new KeyRow(first.KekVersion, first.WrappedKey), ct);
                    answer[new PersonRef(person.Key, vault.Region)] = person.Where(r => r.Name is not null).ToDictionary(
                        r => r.Name!,
                        r => Encoding.UTF8.GetString(FieldCipher.Decrypt(dataKey, r.Ciphertext!, FieldCipher.FieldContext(person.Key, r.Name!))),
                        StringComparer.Ordinal);
                }
                return 0;
            }, ct);
        }
        return answer;
    }

    /// <summary>The person with this email (trimmed, case-insensitive) in the vaults this API serves, by one query on the
    /// blind index per vault; null when none holds them (a person of a region served elsewhere is not found here).</summary>
    public Task<PersonRef?> FindByEmailAsync(string email, CancellationToken ct = default) => FindByIndexAsync(email, FindByEmailSql, ct);

    private async Task<PersonRef?> FindByIndexAsync(string email, string sql, CancellationToken ct)
    {
        foreach (var region in regions.Residency.Served)
        {
            var vault = regions[region];
            var index = BlindIndexKey.Of(BlindKey(vault), email);
            var found = await GuardAsync(vault, async () =>
            {
                await using var conn = await vault.Database.Open().OpenConnectionAsync(ct);
                return await conn.QuerySingleOrDefaultAsync<Guid?>(sql, new { index });
            }, ct);
            if (found is { } id)
            {
                return new PersonRef(id, region);
            }
        }
        return null;
    }

    /// <summary>The person with this email if a served vault holds them (wherever they live now: moving is a staff action),
    /// otherwise a new person in <paramref name="country"/>'s region with the email set. Safe under concurrency: two
    /// first orders with one email end with one person (the blind index is unique).</summary>
    public async Task<PersonRef> FindOrCreateByEmailAsync(string email, string country, CancellationToken ct = default)
    {
        if (await FindByEmailAsync(email, ct) is { } existing)
        {
            return existing;
        }
        country = CountryCode(country);
        return await CreateWithEmailAsync(regions.Residency.RegionOf(country), country, email, ct);
    }

    /// <summary>A new person in <paramref name="region"/>'s vault holding the email (field and blind index), in one statement;
    /// when a concurrent first use of the same email won (the blind index is unique), nothing was written and the winner
    /// is returned.</summary>
    private async Task<PersonRef> CreateWithEmailAsync(string region, string? country, string email, CancellationToken ct)
    {
        email = email.Trim();
        var person = new PersonRef(Guid.CreateVersion7(), region);
        var vault = Served(person);
        var dataKey = RandomNumberGenerator.GetBytes(32);
        var created = await GuardAsync(vault, async () =>
        {
            await using var conn = await vault.Database.Open().OpenConnectionAsync(ct);
            var kek = await vault.Keks.CurrentOrFirstAsync(conn, ct);
            var wrapped = await vault.Keks.WrapAsync(kek, person.Id, dataKey, ct);
            try
            {
                await conn.ExecuteAsync("""
                    with person as (
                        insert into vault_people (id, country, kek_version, wrapped_key, email_index)
                        values (@Id, @country, @Version, @wrapped, @index)
                        returning id)
                    insert into vault_fields (person_id, name, ciphertext) select id, @name, @ciphertext from person
                    """, new
                {
                    person.Id,
                    country,
                    kek.Version,
                    wrapped,
                    index = BlindIndexKey.Of(BlindKey(vault), email),
                    name = EmailField,
                    ciphertext = FieldCipher.Encrypt(dataKey, Encoding.UTF8.GetBytes(email), FieldCipher.FieldContext(person.Id, EmailField)),
                });
                return true;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "vault_people_email_index")
            {
                return false;
            }
        }, ct);
        if (!created)
        {
            return await FindByEmailAsync(email, ct) ?? throw new PersonNotFoundException();
        }
        cache.Set(person.Id, dataKey);
        return person;
    }

    public const string FindByEmailSql = "select id from vault_people where email_index = @index";

    /// <summary>Erases the person: their data key, fields and email index go; a tombstone row stays. False when unknown or already shredded.</summary>
    public async Task<bool> ShredAsync(PersonRef person, CancellationToken ct = default)
    {
        var vault = Served(person);
        if (journal is not null)
        {
            // Journaled before the key goes: a shred that fails after this is finished by the next re-apply. A journal
            // that cannot be written (core database or archive down) answers 503, as a vault that is down does.
            await GuardAsync(vault, async () =>
            {
                await journal.RecordAsync(person, ct);
                return 0;
            }, ct);
        }
        cache.Evict(person.Id);
        var shredded = await GuardAsync(vault, async () =>
        {
            await using var conn = await vault.Database.Open().OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            var changed = await conn.ExecuteAsync("""
                update vault_people set wrapped_key = null, kek_version = null, email_index = null, email_claim_index = null, shredded_at = now()
                where id = @Id and wrapped_key is not null
                """, new { person.Id }, tx);
            await conn.ExecuteAsync("delete from vault_fields where person_id = @Id", new { person.Id }, tx);
            await tx.CommitAsync(ct);
            return changed == 1;
        }, ct);
        cache.Evict(person.Id);
        return shredded;
    }

    private static byte[] BlindKey(VaultRegion vault) =>
        vault.BlindIndexKey ?? throw new InvalidOperationException($"No blind-index key is configured for the {vault.Region} vault.");

    private async Task<byte[]> DataKeyAsync(VaultRegion vault, NpgsqlConnection conn, Guid person, KeyRow row, CancellationToken ct)
    {
        if (cache.TryGet(person, out var cached))
        {
            return cached;
        }
        var kek = await vault.Keks.VersionAsync(conn, row.KekVersion);
        var dataKey = await vault.Keks.UnwrapAsync(kek, person, row.WrappedKey, ct);
        cache.Set(person, dataKey);
        return dataKey;
    }

    private VaultRegion Served(PersonRef person)
    {
        if (!regions.Residency.Serves(person.Region))
        {
            throw new WrongRegionException(person.Region, regions.Residency.Regions.TryGetValue(person.Region, out var other) ? other.ApiBaseUrl : null);
        }
        return regions[person.Region];
    }

    private static async Task<T> GuardAsync<T>(VaultRegion vault, Func<Task<T>> work, CancellationToken ct)
    {
        using var turn = await vault.Database.TurnAsync(ct);
        try
        {
            return await work();
        }
        catch (Exception e) when (Problems.DatabaseUnavailable.Is(e) || e is HttpRequestException or KeyEncryptionKeyMissingException
            || e is Amazon.Runtime.AmazonServiceException { StatusCode: >= System.Net.HttpStatusCode.InternalServerError })
        {
            throw new VaultUnavailableException(vault.Region, e);
        }
    }

    private sealed record KeyRow(int KekVersion, byte[] WrappedKey);

    private sealed record FieldRow(int KekVersion, byte[] WrappedKey, string? Name, byte[]? Ciphertext);

    private sealed record PersonFieldRow(Guid Id, int KekVersion, byte[] WrappedKey, string? Name, byte[]? Ciphertext);

    // Added for accounts (issue 15): a registration without a country is kept in this API's own region, its country
    // unknown (vault migration 0002) until the person says or a checkout ships somewhere.

    /// <summary>As <see cref="FindOrCreateByEmailAsync"/>, but a new person goes to <paramref name="region"/> with no country recorded.</summary>
    public Task<PersonRef> FindOrCreateByEmailInRegionAsync(string email, string region, CancellationToken ct = default) =>
        FindOrCreateByEmailInAsync(email, region, null, ct);

    // Added for unconfirmed accounts (vault migration 0003): an account whose email is not confirmed yet has its own
    // person holding the email as a field and as a claim (email_claim_index), not as the address's owner (email_index),
    // so it neither links to nor can erase a guest's person with that address. Confirming turns the claim into the owner
    // index, or names the person who owns the address (a guest: the account then merges into them).

    public const string FindByClaimSql = "select id from vault_people where email_claim_index = @index";

    /// <summary>The person whose unconfirmed account claims this email, in the vaults this API serves; null when none.</summary>
    public Task<PersonRef?> FindClaimByEmailAsync(string email, CancellationToken ct = default) => FindByIndexAsync(email, FindByClaimSql, ct);

    /// <summary>A new person for an account whose email is not confirmed yet, in <paramref name="country"/>'s region, or
    /// without a country in this API's own (the country unknown).</summary>
    /// <exception cref="EmailClaimTakenException">Another unconfirmed account claims the address.</exception>
    public Task<PersonRef> CreateClaimantAsync(string email, string? country, CancellationToken ct = default)
    {
        if (country is null)
        {
            return CreateClaimantInAsync(email, Region, null, ct);
        }
        country = CountryCode(country);
        return CreateClaimantInAsync(email, regions.Residency.RegionOf(country), country, ct);
    }

    /// <summary>A new person for an account whose email is not confirmed yet, in <paramref name="region"/> (with
    /// <paramref name="country"/> when known), holding the email as a field and as a claim only.</summary>
    /// <exception cref="EmailClaimTakenException">Another unconfirmed account claims the address.</exception>
    public async Task<PersonRef> CreateClaimantInAsync(string email, string region, string? country, CancellationToken ct = default)
    {
        var person = await InsertPersonAsync(region, country, ct);
        try
        {
            await WriteAsync(person, new Dictionary<string, string?> { [EmailField] = email.Trim() }, ClaimIndex, ct);
            return person;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await ShredAsync(person, ct);
            throw new EmailClaimTakenException();
        }
    }

    /// <summary>Confirms the person's claim on <paramref name="email"/>: null when the person owns the address now (or
    /// did already); otherwise the person who owns it (a guest who ordered with it, or another account), and the claim
    /// stays as it was.</summary>
    public async Task<PersonRef?> ConfirmClaimAsync(PersonRef person, string email, CancellationToken ct = default)
    {
        if (await FindByEmailAsync(email, ct) is { } owner)
        {
            return owner == person ? null : owner;
        }
        var vault = Served(person);
        try
        {
            await GuardAsync(vault, async () =>
            {
                await using var conn = await vault.Database.Open().OpenConnectionAsync(ct);
                return await conn.ExecuteAsync("""
                    update vault_people set email_index = email_claim_index, email_claim_index = null
                    where id = @Id and email_claim_index is not null and wrapped_key is not null
                    """, new { person.Id });
            }, ct);
            return null;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // A guest's first order with the address won the race.
            return await FindByEmailAsync(email, ct) ?? throw new PersonNotFoundException();
        }
    }

    // Added for the move of rows written before the vaults (PlainDataMove): the old rows are in this region's core
    // database already, so a person whose country belongs to a region this API does not serve is kept here.

    /// <summary>The region of <paramref name="country"/> when this API serves it; otherwise (or with no valid country)
    /// this API's own region.</summary>
    public string RegionFor(string? country) =>
        KnownCountry(country) is { } c && regions.Residency.RegionOf(c) is var region && regions.Residency.Serves(region)
            ? region
            : Region;

    /// <summary>The person with this email in a served vault, else a new one in <paramref name="region"/> with the email set.</summary>
    public async Task<PersonRef> FindOrCreateByEmailInAsync(string email, string region, string? country, CancellationToken ct = default)
    {
        if (await FindByEmailAsync(email, ct) is { } existing)
        {
            return existing;
        }
        return await CreateWithEmailAsync(region, KnownCountry(country), email, ct);
    }

    /// <summary>A new person in <paramref name="region"/> with a fresh data key and no fields (an account whose address
    /// another person owns; the target of a region move); the country when it is a code, else unknown.</summary>
    public Task<PersonRef> CreatePersonInAsync(string region, string? country, CancellationToken ct = default) =>
        InsertPersonAsync(region, KnownCountry(country), ct);
}

/// <summary>Another unconfirmed account already claims this email.</summary>
public sealed class EmailClaimTakenException() : Exception("Another account already claims this email address.");

/// <summary>The vault has no live person with this id (never created here, or shredded).</summary>
public sealed class PersonNotFoundException() : Exception("No such person in the vault (unknown, or erased).");
