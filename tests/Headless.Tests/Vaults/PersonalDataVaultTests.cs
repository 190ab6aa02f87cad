using System.Security.Cryptography;
using System.Text;
using Dapper;
using Headless.Api.Features.Orders;
using Headless.Api.Platform.Vaults;
using Headless.Tests.Email;

namespace Headless.Tests.Vaults;

/// <summary>The vault store on real PostgreSQL: both vault databases made by the API's own Development start-up.</summary>
public sealed class PersonalDataVaultTests(VaultApiFactory api) : IClassFixture<VaultApiFactory>
{
    private static string Email() => $"Person.{Guid.NewGuid():N}@Example.test";

    [Fact]
    public async Task Fields_round_trip_and_are_stored_only_as_ciphertext_with_a_fresh_nonce_each()
    {
        var vault = api.Vault;
        var person = await vault.CreatePersonAsync("de");
        var email = Email();
        await vault.PutAsync(person, new Dictionary<string, string?> { ["email"] = email, ["name"] = "Greta Müller", ["street"] = "Hauptstraße 1", ["phone"] = "Greta Müller" });

        var fields = await vault.GetAsync(person);
        Assert.Equal(email, fields!["email"]);
        Assert.Equal("Greta Müller", fields["name"]);
        Assert.Equal("Hauptstraße 1", fields["street"]);

        await using var db = api.VaultOwner(Residency.Eu);
        await using var conn = await db.OpenConnectionAsync();
        var stored = (await conn.QueryAsync<(string Name, byte[] Ciphertext)>("select name, ciphertext from vault_fields where person_id = @Id", new { person.Id }))
            .ToDictionary(r => r.Name, r => r.Ciphertext);
        Assert.Equal(4, stored.Count);
        foreach (var (name, ciphertext) in stored)
        {
            Assert.Equal(FieldCipher.Version1, ciphertext[0]);
            Assert.Equal(-1, ciphertext.AsSpan().IndexOf(Encoding.UTF8.GetBytes(fields[name])));
        }
        // The same value twice (name and phone) encrypts to different bytes: the nonces differ.
        Assert.NotEqual(stored["name"][1..13], stored["phone"][1..13]);
        Assert.NotEqual(stored["name"], stored["phone"]);
        // Writing the same value again also changes the nonce.
        await vault.PutAsync(person, new Dictionary<string, string?> { ["name"] = "Greta Müller" });
        var rewritten = await conn.ExecuteScalarAsync<byte[]>("select ciphertext from vault_fields where person_id = @Id and name = 'name'", new { person.Id });
        Assert.NotEqual(stored["name"][1..13], rewritten![1..13]);
        // No plain email anywhere in the person's row either.
        Assert.Equal(0, await conn.ExecuteScalarAsync<int>(
            "select count(*) from vault_people p where position(convert_to(@email, 'UTF8') in coalesce(p.email_index, ''::bytea)) > 0", new { email }));
    }

    [Fact]
    public async Task A_burst_bigger_than_the_pool_waits_its_turn_past_the_pools_timeout_instead_of_answering_unavailable()
    {
        // A pool of 5 (4 for requests, 1 for its watch) that gives up on a free connection after 1 s: 20 writes at once while the vault is slow.
        var eu = api.Regions[Residency.Eu];
        var small = eu.Database.Settings with { ConnectionString = eu.Database.Settings.ConnectionString + ";Maximum Pool Size=5;Timeout=1" };
        await using var database = new VaultDatabase(small);
        var vault = new PersonalDataVault(new VaultRegions(api.Regions.Residency, new Dictionary<string, VaultRegion>
        {
            [Residency.Eu] = new(database, eu.Keks, eu.BlindIndexKey),
            [Residency.Us] = api.Regions[Residency.Us],
        }), new DataKeyCache());
        var people = new List<PersonRef>();
        for (var i = 0; i < 20; i++)
        {
            people.Add(await vault.CreatePersonAsync("DE"));
        }

        await using var owner = api.VaultOwner(Residency.Eu);
        await using var slow = await owner.OpenConnectionAsync();
        await using var tx = await slow.BeginTransactionAsync();
        await slow.ExecuteAsync("lock table vault_fields in exclusive mode", transaction: tx);
        var writes = people.Select(p => vault.PutAsync(p, new Dictionary<string, string?> { ["name"] = $"Name {p.Id}" })).ToList();
        await Eventually.WaitUntilAsync(async () => database.Turns == (4, 16) && await slow.ExecuteScalarAsync<int>(
                "select count(*)::int from pg_locks where not granted and relation = 'vault_fields'::regclass", transaction: tx) == 4,
            TimeSpan.FromSeconds(20), "4 writes hold the pool's connections, blocked by the lock, and 16 wait their turn");
        // Held on purpose past the pool's 1 s Timeout: without turns the 16 would be waiting in the pool and fail there.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.All(writes, w => Assert.False(w.IsCompleted));
        await tx.RollbackAsync();

        await Task.WhenAll(writes);
        Assert.Equal((0, 0), database.Turns);
        foreach (var person in people)
        {
            Assert.Equal($"Name {person.Id}", (await vault.GetAsync(person))!["name"]);
        }
    }

    [Fact]
    public async Task A_persons_own_field_writes_do_not_wait_for_each_other_but_an_email_change_waits_for_them()
    {
        var vault = api.Vault;
        var person = await vault.FindOrCreateByEmailAsync(Email(), "DE");
        await using var owner = api.VaultOwner(Residency.Eu);
        await using var other = await owner.OpenConnectionAsync();
        await using var tx = await other.BeginTransactionAsync();
        // What another put of this person's fields holds while it runs: a share lock on the person's row.
        await other.ExecuteAsync("select 1 from vault_people where id = @Id for share", new { person.Id }, tx);

        var order = Guid.NewGuid();
        await vault.PutAsync(person, new Dictionary<string, string?> { [OrderContact.EmailField(order)] = "order@example.test" })
            .WaitAsync(TimeSpan.FromSeconds(10));

        var newEmail = Email();
        var emailChange = vault.PutAsync(person, new Dictionary<string, string?> { [PersonalDataVault.EmailField] = newEmail });
        await Eventually.WaitUntilAsync(async () => await other.ExecuteScalarAsync<bool>("""
                select exists (select 1 from pg_locks l join pg_stat_activity a on a.pid = l.pid
                               where not l.granted and a.datname = current_database())
                """, transaction: tx),
            TimeSpan.FromSeconds(20), "the email change waits for the row");
        Assert.False(emailChange.IsCompleted);
        await tx.RollbackAsync();
        await emailChange;

        var fields = await vault.GetAsync(person);
        Assert.Equal("order@example.test", fields![OrderContact.EmailField(order)]);
        Assert.Equal(newEmail, fields[PersonalDataVault.EmailField]);
        Assert.Equal(person, await vault.FindByEmailAsync(newEmail));
    }

    [Fact]
    public async Task Ready_reports_the_served_vaults_healthy_with_their_migrations_applied()
    {
        // A local run names no region, so it plays both regions' APIs, each region's people in its own vault.
        var ready = System.Text.Json.Nodes.JsonNode.Parse(await api.CreateClient().GetStringAsync("/health/ready"))!;
        var vault = ready["checks"]!["vault"]!;
        Assert.Equal("Healthy", vault["status"]!.GetValue<string>());
        Assert.Equal("eu,us", vault["region"]!.GetValue<string>());
        Assert.Equal("0", vault["eu.migrationsPending"]!.GetValue<string>());
        Assert.Equal("0", vault["us.migrationsPending"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_ciphertext_moved_to_another_field_or_another_person_does_not_decrypt()
    {
        var vault = api.Vault;
        var greta = await vault.CreatePersonAsync("DE");
        var hans = await vault.CreatePersonAsync("AT");
        await vault.PutAsync(greta, new Dictionary<string, string?> { ["name"] = "Greta", ["street"] = "Hauptstraße 1" });
        await vault.PutAsync(hans, new Dictionary<string, string?> { ["name"] = "Hans", ["street"] = "Ring 2" });
        await using var db = api.VaultOwner(Residency.Eu);
        await using var conn = await db.OpenConnectionAsync();

        // Greta's name pasted over her street: same data key, other field name in the associated data.
        await conn.ExecuteAsync("""
            update vault_fields set ciphertext = (select ciphertext from vault_fields where person_id = @Id and name = 'name')
            where person_id = @Id and name = 'street'
            """, new { greta.Id });
        await Assert.ThrowsAnyAsync<CryptographicException>(() => api.VaultServing(Residency.Eu).GetAsync(greta));

        // Hans's name pasted into Greta's name: another data key and another person in the associated data.
        await conn.ExecuteAsync("""
            update vault_fields set ciphertext = (select ciphertext from vault_fields where person_id = @hans and name = 'name')
            where person_id = @greta and name = 'name'
            """, new { hans = hans.Id, greta = greta.Id });
        await conn.ExecuteAsync("delete from vault_fields where person_id = @Id and name = 'street'", new { greta.Id });
        await Assert.ThrowsAnyAsync<CryptographicException>(() => api.VaultServing(Residency.Eu).GetAsync(greta));

        // Even with Hans's data key the pasted value fails: the associated data names Greta, not Hans.
        var hansKey = await UnwrappedKeyAsync(conn, hans);
        var pasted = await conn.ExecuteScalarAsync<byte[]>("select ciphertext from vault_fields where person_id = @Id and name = 'name'", new { greta.Id });
        Assert.ThrowsAny<CryptographicException>(() => FieldCipher.Decrypt(hansKey, pasted!, FieldCipher.FieldContext(greta.Id, "name")));
        Assert.Equal("Hans", Encoding.UTF8.GetString(FieldCipher.Decrypt(hansKey, pasted!, FieldCipher.FieldContext(hans.Id, "name"))));
        // Hans is untouched.
        Assert.Equal("Hans", (await vault.GetAsync(hans))!["name"]);
    }

    [Fact]
    public async Task A_person_is_found_by_email_through_the_blind_index_in_one_indexed_query()
    {
        var vault = api.Vault;
        var email = Email();
        var person = await vault.CreatePersonAsync("FR");
        await vault.PutAsync(person, new Dictionary<string, string?> { ["email"] = email });

        Assert.Equal(person, await vault.FindByEmailAsync($"  {email.ToUpperInvariant()} "));
        Assert.Null(await vault.FindByEmailAsync("nobody-" + email));

        // Another person cannot take the same address, however it is spelled.
        var other = await vault.CreatePersonAsync("FR");
        var taken = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => vault.PutAsync(other, new Dictionary<string, string?> { ["email"] = email.ToLowerInvariant() }));
        Assert.Equal(Npgsql.PostgresErrorCodes.UniqueViolation, taken.SqlState);

        // The lookup is the one statement FindByEmailSql, answered from the unique index even on a vault of many people.
        await using var db = api.VaultOwner(Residency.Eu);
        await using var conn = await db.OpenConnectionAsync();
        await conn.ExecuteAsync("""
            insert into vault_people (id, country, kek_version, wrapped_key, email_index)
            select gen_random_uuid(), 'DE', (select max(version) from vault_kek_versions), '\x01'::bytea, sha256(g::text::bytea)
            from generate_series(1, 20000) g
            """);
        await conn.ExecuteAsync("analyze vault_people");
        var index = BlindIndexKey.Of(api.Regions[Residency.Eu].BlindIndexKey!, email);
        var plan = string.Join("\n", await conn.QueryAsync<string>("explain " + PersonalDataVault.FindByEmailSql, new { index }));
        Assert.Contains("vault_people_email_index", plan);
        Assert.DoesNotContain("Seq Scan", plan);
    }

    [Fact]
    public async Task An_instance_that_still_caches_a_shredded_persons_key_writes_nothing_for_them()
    {
        var here = api.VaultServing(Residency.Eu, new DataKeyCache());
        var elsewhere = api.VaultServing(Residency.Eu, new DataKeyCache());
        var person = await here.CreatePersonAsync("FR");
        await here.PutAsync(person, new Dictionary<string, string?> { ["name"] = "Camille" });
        Assert.Equal("Camille", (await elsewhere.GetAsync(person))!["name"]);

        Assert.True(await here.ShredAsync(person));

        // The other instance's cache still holds the data key: its write must find the person gone and leave no field.
        await Assert.ThrowsAsync<PersonNotFoundException>(() => elsewhere.PutAsync(person, new Dictionary<string, string?> { ["name"] = "again" }));
        await using var db = api.VaultOwner(Residency.Eu);
        await using var conn = await db.OpenConnectionAsync();
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>("select count(*) from vault_fields where person_id = @Id", new { person.Id }));
    }

    [Fact]
    public async Task One_put_sets_removes_and_indexes_fields_together()
    {
        var vault = api.VaultServing(Residency.Eu, new DataKeyCache());
        var person = await vault.CreatePersonAsync("NL");
        var email = Email();
        await vault.PutAsync(person, new Dictionary<string, string?> { ["first_name"] = "Sanne", ["street"] = "Dam 1" });

        await vault.PutAsync(person, new Dictionary<string, string?> { ["email"] = email, ["street"] = null, ["first_name"] = "Sanne J." });

        var fields = await vault.GetAsync(person);
        Assert.Equal(new Dictionary<string, string> { ["email"] = email, ["first_name"] = "Sanne J." }, fields);
        Assert.Equal(person, await vault.FindByEmailAsync(email));
        await vault.PutAsync(person, new Dictionary<string, string?> { ["email"] = null });
        Assert.Null(await vault.FindByEmailAsync(email));
    }

    [Fact]
    public async Task Shredding_destroys_the_data_key_so_fields_restored_from_an_old_backup_cannot_be_read()
    {
        var cache = new DataKeyCache();
        var vault = api.VaultServing(Residency.Eu, cache);
        var email = Email();
        var person = await vault.CreatePersonAsync("IE");
        var neighbour = await vault.CreatePersonAsync("IE");
        await vault.PutAsync(person, new Dictionary<string, string?> { ["email"] = email, ["name"] = "Siobhan", ["street"] = "1 Quay" });
        await using var db = api.VaultOwner(Residency.Eu);
        await using var conn = await db.OpenConnectionAsync();
        // What a backup taken now holds of the person's fields.
        var backup = (await conn.QueryAsync<(string Name, byte[] Ciphertext)>("select name, ciphertext from vault_fields where person_id = @Id", new { person.Id })).ToList();
        Assert.Equal(3, backup.Count);
        Assert.True(cache.TryGet(person.Id, out _));

        Assert.True(await vault.ShredAsync(person));

        Assert.False(cache.TryGet(person.Id, out _));
        Assert.Null(await vault.GetAsync(person));
        Assert.Null(await vault.FindByEmailAsync(email));
        Assert.False(await vault.ShredAsync(person));
        await Assert.ThrowsAsync<PersonNotFoundException>(() => vault.PutAsync(person, new Dictionary<string, string?> { ["name"] = "again" }));
        var tombstone = await conn.QuerySingleAsync<(byte[]? WrappedKey, int? KekVersion, byte[]? EmailIndex, DateTime? ShreddedAt)>(
            "select wrapped_key, kek_version, email_index, shredded_at from vault_people where id = @Id", new { person.Id });
        Assert.Null(tombstone.WrappedKey);
        Assert.Null(tombstone.KekVersion);
        Assert.Null(tombstone.EmailIndex);
        Assert.NotNull(tombstone.ShreddedAt);

        // The old backup's rows written back: still nothing readable, through the vault or with any key it holds.
        foreach (var (name, ciphertext) in backup)
        {
            await conn.ExecuteAsync("insert into vault_fields (person_id, name, ciphertext) values (@Id, @name, @ciphertext)", new { person.Id, name, ciphertext });
        }
        Assert.Null(await vault.GetAsync(person));
        Assert.Null(await api.VaultServing(Residency.Eu).GetAsync(person));
        var livingKeys = new List<byte[]>();
        foreach (var id in await conn.QueryAsync<Guid>("select id from vault_people where wrapped_key is not null and length(wrapped_key) > 1 limit 50"))
        {
            livingKeys.Add(await UnwrappedKeyAsync(conn, new PersonRef(id, Residency.Eu)));
        }
        Assert.Contains(await UnwrappedKeyAsync(conn, neighbour), livingKeys);
        foreach (var (name, ciphertext) in backup)
        {
            Assert.All(livingKeys, key => Assert.ThrowsAny<CryptographicException>(() => FieldCipher.Decrypt(key, ciphertext, FieldCipher.FieldContext(person.Id, name))));
        }
    }

    [Fact]
    public async Task A_German_lives_in_the_eu_vault_an_American_in_the_us_vault_and_each_API_refuses_the_other_region()
    {
        var eu = api.VaultServing(Residency.Eu);
        var us = api.VaultServing(Residency.Us);
        var german = await eu.CreatePersonAsync("DE");
        var american = await us.CreatePersonAsync("US");
        await eu.PutAsync(german, new Dictionary<string, string?> { ["email"] = Email(), ["name"] = "Greta" });
        await us.PutAsync(american, new Dictionary<string, string?> { ["email"] = Email(), ["name"] = "Ann" });
        Assert.Equal(Residency.Eu, german.Region);
        Assert.Equal(Residency.Us, american.Region);

        await using var euDb = api.VaultOwner(Residency.Eu);
        await using var usDb = api.VaultOwner(Residency.Us);
        await using var euConn = await euDb.OpenConnectionAsync();
        await using var usConn = await usDb.OpenConnectionAsync();
        const string Rows = "select (select count(*) from vault_people where id = @Id) + (select count(*) from vault_fields where person_id = @Id)";
        Assert.Equal(3, await euConn.ExecuteScalarAsync<int>(Rows, new { german.Id }));
        Assert.Equal(0, await usConn.ExecuteScalarAsync<int>(Rows, new { german.Id }));
        Assert.Equal(3, await usConn.ExecuteScalarAsync<int>(Rows, new { american.Id }));
        Assert.Equal(0, await euConn.ExecuteScalarAsync<int>(Rows, new { american.Id }));
        Assert.NotEqual(euConn.Database, usConn.Database);

        // The EU API neither creates nor reads a US person: the problem names the US API.
        var wrong = await Assert.ThrowsAsync<WrongRegionException>(() => eu.GetAsync(american));
        Assert.Equal(Residency.Us, wrong.Region);
        await Assert.ThrowsAsync<WrongRegionException>(() => eu.CreatePersonAsync("US"));
        await Assert.ThrowsAsync<WrongRegionException>(() => us.ShredAsync(german));
        Assert.Equal("Greta", (await eu.GetAsync(german))!["name"]);
    }

    [Fact]
    public async Task Concurrent_first_orders_with_one_email_end_with_one_person_in_the_country_region()
    {
        var email = Email();
        await using var usDb = api.VaultOwner(Residency.Us);
        await using var conn = await usDb.OpenConnectionAsync();
        var start = await conn.ExecuteScalarAsync<DateTime>("select clock_timestamp()");
        var people = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => api.Vault.FindOrCreateByEmailAsync(email, "US"))));
        Assert.Single(people.Distinct());
        Assert.Equal(Residency.Us, people[0].Region);
        Assert.Equal(email, (await api.Vault.GetAsync(people[0]))![PersonalDataVault.EmailField]);

        // The losers' extra people were shredded: no live person without an email is left behind by the race.
        Assert.Equal(0, await conn.ExecuteScalarAsync<int>(
            "select count(*) from vault_people where wrapped_key is not null and email_index is null and created_at >= @start", new { start }));

        // The same email later with another country finds the same person (moving region is a staff action).
        Assert.Equal(people[0], await api.Vault.FindOrCreateByEmailAsync(email.ToUpperInvariant(), "DE"));
    }

    [Fact]
    public async Task A_page_of_people_is_read_in_one_query_per_region_without_the_shredded()
    {
        var people = new List<PersonRef>();
        foreach (var (country, name) in new[] { ("DE", "Greta"), ("US", "Ada"), ("FR", "Luc"), ("CA", "Joni") })
        {
            var person = await api.Vault.CreatePersonAsync(country);
            await api.Vault.PutAsync(person, new Dictionary<string, string?> { ["name"] = name });
            people.Add(person);
        }
        await api.Vault.ShredAsync(people[2]);

        var page = await api.Vault.GetManyAsync(people);
        Assert.Equal(["Greta", "Ada", "Joni"], people.Where(page.ContainsKey).Select(p => page[p]["name"]));
        Assert.False(page.ContainsKey(people[2]));
        await Assert.ThrowsAsync<WrongRegionException>(() => api.VaultServing(Residency.Eu).GetManyAsync(people));
    }

    [Fact]
    public async Task The_local_run_serves_both_regions_each_from_its_own_vault()
    {
        Assert.True(api.Regions.Residency.ServesAllRegions);
        var german = await api.Vault.CreatePersonAsync("DE");
        var american = await api.Vault.CreatePersonAsync("US");
        await api.Vault.PutAsync(american, new Dictionary<string, string?> { ["name"] = "Ada" });
        Assert.Equal((Residency.Eu, Residency.Us), (german.Region, american.Region));
        Assert.Equal("Ada", (await api.Vault.GetAsync(american))!["name"]);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_local_key_files_are_readable_by_the_owner_only()
    {
        await api.Vault.CreatePersonAsync("DE");
        await using var db = api.VaultOwner(Residency.Eu);
        await using var conn = await db.OpenConnectionAsync();
        var keyRef = await conn.ExecuteScalarAsync<string>("select key_ref from vault_kek_versions order by version limit 1");
        var directory = api.Regions[Residency.Eu].Database.Settings.KeyDirectory!;
        foreach (var file in new[] { Path.Combine(directory, keyRef!), Path.Combine(directory, "vault-eu-blind-index.key") })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            Assert.Equal(32, new FileInfo(file).Length);
        }
    }

    private async Task<byte[]> UnwrappedKeyAsync(Npgsql.NpgsqlConnection conn, PersonRef person)
    {
        var (version, wrapped) = await conn.QuerySingleAsync<(int, byte[])>("select kek_version, wrapped_key from vault_people where id = @Id", new { person.Id });
        var ring = api.Regions[person.Region].Keks;
        return await ring.UnwrapAsync(await ring.VersionAsync(conn, version), person.Id, wrapped, default);
    }
}
