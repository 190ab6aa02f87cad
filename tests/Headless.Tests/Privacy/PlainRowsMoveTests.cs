using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dapper;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Database;
using Headless.Api.Platform.Security;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Accounts;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Headless.Tests.Privacy;

/// <summary>
/// Upgrading a database whose rows were written before migrations 0030/0031 (plain email, names, addresses, order
/// contacts, staff invitations, mail payloads): the start-up's migrate path moves them into the vaults
/// (<see cref="PlainDataMove"/>, a <see cref="MigrationStep"/> before 0035), then 0035 drops the plain columns the previous
/// release no longer reads (the rest stay empty until the next release drops them). The
/// move is resumable: interrupted after a batch and run again it finishes without a second person for anyone, and 0035
/// refuses to drop anything while plain rows remain.
/// </summary>
public sealed class PlainRowsMoveTests
{
    private const string Password = "correct horse battery";

    /// <summary>A database at the old release's schema: the embedded migrations up to <paramref name="lastVersion"/>,
    /// recorded as the Migrator records them.</summary>
    private static async Task MigrateUpToAsync(string owner, string lastVersion)
    {
        await using var conn = new NpgsqlConnection(owner);
        await conn.OpenAsync();
        await conn.ExecuteAsync("""
            create table if not exists schema_migrations (version text primary key, checksum text not null, applied_at timestamptz not null default now())
            """);
        var applied = (await conn.QueryAsync<string>("select version from schema_migrations")).ToHashSet();
        foreach (var migration in Migrator.All.Where(m => string.CompareOrdinal(m.Version, lastVersion) <= 0 && !applied.Contains(m.Version)))
        {
            await using var tx = await conn.BeginTransactionAsync();
            await conn.ExecuteAsync(migration.Sql, transaction: tx);
            await conn.ExecuteAsync("insert into schema_migrations (version, checksum) values (@Version, @Checksum)", migration, tx);
            await tx.CommitAsync();
        }
    }

    private sealed record OldCustomer(Guid Id, string Email, string FirstName, string LastName, string Street, bool Confirmed = true);

    /// <summary>An account as the release before 0030 wrote it: plain email and names, a plain default shipping address.</summary>
    private static async Task InsertOldCustomerAsync(NpgsqlConnection conn, OldCustomer c)
    {
        var hash = new PasswordHasher<HeadlessUser>().HashPassword(new HeadlessUser(), Password);
        await conn.ExecuteAsync("""
            insert into users (id, email, normalized_email, email_confirmed, password_hash, security_stamp, concurrency_stamp, first_name, last_name)
            values (@Id, @Email, upper(@Email), @Confirmed, @hash, gen_random_uuid()::text, gen_random_uuid()::text, @FirstName, @LastName);
            insert into user_roles (user_id, role) values (@Id, 'customer');
            insert into addresses (id, user_id, kind, is_default, full_name, line1, city, postal_code, country, phone)
            values (gen_random_uuid(), @Id, 'shipping', true, @FirstName || ' ' || @LastName, @Street, 'Leipzig', '04109', 'DE', '+49 341 1234');
            """, new { c.Id, c.Email, c.Confirmed, hash, c.FirstName, c.LastName, c.Street });
    }

    /// <summary>An order as the release before 0031 wrote it: the contact and addresses in plain columns.</summary>
    private static async Task<Guid> InsertOldOrderAsync(NpgsqlConnection conn, Guid? customerId, string email, string fullName, string street)
    {
        var id = Guid.CreateVersion7();
        var address = System.Text.Json.JsonSerializer.Serialize(new
        {
            fullName,
            line1 = street,
            line2 = "",
            city = "Leipzig",
            region = "",
            postalCode = "04109",
            country = "DE",
            phone = "",
        });
        await conn.ExecuteAsync("""
            insert into orders (id, number, customer_id, access_token_hash, status, email, shipping_address, billing_address, currency, subtotal,
                                discount_total, shipping_total, tax_total, total, prices_include_tax, tax_rate_basis_points, shipping_method,
                                shipping_method_name, reservation, reservation_expires_at, paid_at)
            values (@id, 'HL-' || nextval('order_numbers'), @customerId, sha256(@id::text::bytea), 'paid', @email, @address::jsonb, @address::jsonb, 'EUR',
                    1000, 0, 490, 238, 1490, true, 1900, 'standard', 'Standard', 'committed', now(), now())
            """, new { id, customerId, email, address });
        return id;
    }

    /// <summary>The API on an existing database, started as `./build.sh run` starts (Development: both vaults served).</summary>
    private sealed class UpgradedApi(DatabaseLogins logins) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("Headless:Database:ConnectionString", logins.App);
            builder.UseSetting("Headless:Database:MigrationConnectionString", logins.Owner);
            builder.UseSetting("Headless:Catalog:LoadDemoCatalog", "false");
        }
    }

    [Fact]
    public async Task Starting_the_new_release_on_a_database_from_before_the_vaults_moves_every_plain_row_and_leaves_no_plain_text_in_core()
    {
        var logins = await TestDatabase.CreateEmptyAsync();
        await MigrateUpToAsync(logins.Owner, "0029_person_refs");
        var tag = Guid.NewGuid().ToString("N")[..8];
        var customer = new OldCustomer(Guid.CreateVersion7(), $"Wilhelmina.{tag}@example.test", "Wilhelmina", $"Oldenburg{tag}", $"Pflaumenweg 3{tag}");
        var guestEmail = $"guest.{tag}@example.test";
        var inviteeEmail = $"invitee.{tag}@example.test";
        Guid accountOrder, guestOrder;
        await using (var conn = new NpgsqlConnection(logins.Owner))
        {
            await conn.OpenAsync();
            await InsertOldCustomerAsync(conn, customer);
            accountOrder = await InsertOldOrderAsync(conn, customer.Id, customer.Email, $"{customer.FirstName} {customer.LastName}", customer.Street);
            guestOrder = await InsertOldOrderAsync(conn, null, guestEmail, $"Gustav Gast{tag}", $"Birnenallee 9{tag}");
            await conn.ExecuteAsync("""
                insert into staff_invitations (id, email, normalized_email, roles, token_hash, invited_by, expires_at)
                values (gen_random_uuid(), @inviteeEmail, upper(@inviteeEmail), '{staff}', sha256(convert_to(@inviteeEmail, 'UTF8')), 'user:old', now() + interval '3 days');
                insert into outbox (topic, aggregate_type, aggregate_id, payload)
                values ('email.requested', 'email', @customerId, jsonb_build_object('template', 'confirm-email', 'to', @email, 'toName', @name,
                        'model', jsonb_build_object('name', @name, 'link', 'https://shop.test/account/confirm-email?old=1')));
                """, new { inviteeEmail, customerId = customer.Id.ToString(), email = customer.Email, name = customer.FirstName });
        }

        await using var api = new UpgradedApi(logins);
        var client = api.CreateClient();

        // The account signs in by email (any case), through the vault's blind index; its address reads back.
        var login = await client.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest(customer.Email.ToUpperInvariant(), Password, null, null, false), Http.Json);
        var auth = await login.ReadAsync<AuthResponse>();
        Assert.Equal((customer.Email, customer.FirstName, customer.LastName), (auth.User.Email, auth.User.FirstName, auth.User.LastName));
        var signedIn = api.CreateClient();
        signedIn.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", auth.AccessToken);
        var addresses = await (await signedIn.GetAsync("/api/v1/account/addresses")).ReadAsync<AddressList>();
        Assert.Equal(customer.Street, Assert.Single(addresses.Items).Line1);

        // The orders' contacts come from the vault; the guest's order is the guest's own person, the account's the account's.
        var admin = api.CreateClient();
        await using (var conn = new NpgsqlConnection(logins.Owner))
        {
            await conn.OpenAsync();
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await ApiKeys.IssueAsync(conn, "test admin", [Scopes.Admin])).Secret);
            var people = (await conn.QueryAsync<(Guid Id, Guid? Person)>(
                "select id, person_id from orders union all select id, person_id from users", new { })).ToDictionary(r => r.Id, r => r.Person);
            Assert.Equal(people[customer.Id], people[accountOrder]);
            Assert.NotEqual(people[customer.Id], people[guestOrder]);
            // The address and invitation columns are gone; the users' and orders' stay, empty, for the previous release
            // (which still reads them during a blue/green switch) until the next release drops them.
            Assert.Equal(0, await conn.ExecuteScalarAsync<long>("""
                select count(*) from information_schema.columns
                where table_schema = 'public' and (table_name, column_name) in (
                    ('addresses', 'full_name'), ('addresses', 'line1'), ('addresses', 'city'), ('addresses', 'phone'),
                    ('staff_invitations', 'email'), ('staff_invitations', 'normalized_email'))
                """));
            Assert.Equal(0, await conn.ExecuteScalarAsync<long>("""
                select (select count(*) from users where email is not null or normalized_email is not null or first_name is not null or last_name is not null)
                     + (select count(*) from orders where email is not null or shipping_address is not null or billing_address is not null)
                """));
            Assert.Equal("DE", await conn.ExecuteScalarAsync<string>("select ship_country from orders where id = @guestOrder", new { guestOrder }));
        }
        var shown = await (await admin.GetAsync($"/api/v1/admin/orders/{guestOrder}")).ReadAsync<Contracts.Commerce.Order>();
        Assert.False(shown.ContactErased);
        Assert.Equal((guestEmail, $"Gustav Gast{tag}", $"Birnenallee 9{tag}"), (shown.Email, shown.ShippingAddress.FullName, shown.ShippingAddress.Line1));
        await using (var conn = new NpgsqlConnection(logins.Owner))
        {
            await conn.OpenAsync();
            var invitee = await conn.QuerySingleAsync<(Guid Id, string Region)>("select person_id, person_region from staff_invitations");
            var vault = (PersonalDataVault)api.Services.GetService(typeof(PersonalDataVault))!;
            Assert.Equal(inviteeEmail, (await vault.GetAsync(new PersonRef(invitee.Id, invitee.Region)))?.GetValueOrDefault(PersonalDataVault.EmailField));
        }

        // Nothing of theirs is left in plain text in the core database.
        var hits = await PlainTextScan.ScanAsync([("core", logins.Owner)],
            [customer.Email, customer.LastName, customer.Street, guestEmail, $"Gast{tag}", $"Birnenallee 9{tag}", inviteeEmail]);
        Assert.True(hits.Count == 0, "Personal data left in plain text:" + Environment.NewLine + PlainTextScan.Describe(hits));
    }

    private sealed class Interrupted : Exception;

    [Fact]
    public async Task An_interrupted_move_finishes_when_run_again_without_a_second_person_for_anyone_and_0035_waits_for_it()
    {
        var logins = await TestDatabase.CreateEmptyAsync();
        await MigrateUpToAsync(logins.Owner, "0029_person_refs");
        var tag = Guid.NewGuid().ToString("N")[..8];
        var customers = Enumerable.Range(1, 4)
            .Select(i => new OldCustomer(Guid.CreateVersion7(), $"kunde{i}.{tag}@example.test", $"Kunde{i}", $"Nachname{tag}", $"Weg {i}{tag}", Confirmed: i != 4))
            .ToList();
        await using (var conn = new NpgsqlConnection(logins.Owner))
        {
            await conn.OpenAsync();
            foreach (var c in customers)
            {
                await InsertOldCustomerAsync(conn, c);
                await InsertOldOrderAsync(conn, c.Id, c.Email, c.FirstName, c.Street);
            }
            // Two guest orders by one guest, and a guest order with a confirmed customer's address (that customer's person).
            await InsertOldOrderAsync(conn, null, $"gast.{tag}@example.test", "Gast", $"Gasse 1{tag}");
            await InsertOldOrderAsync(conn, null, $"GAST.{tag}@example.test", "Gast", $"Gasse 1{tag}");
            await InsertOldOrderAsync(conn, null, customers[0].Email, "Kunde1", $"Weg 1{tag}");
        }
        await MigrateUpToAsync(logins.Owner, "0034_erasure_journal");

        await using var core = NpgsqlDataSource.Create(logins.App);
        await using var owner = NpgsqlDataSource.Create(logins.Owner);
        var regions = VaultRegions.From(Residency.From(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Headless:Database:ConnectionString"] = logins.App,
            ["Headless:Database:MigrationConnectionString"] = logins.Owner,
        }).Build(), new Development()));
        var move = new PlainDataMove(core, new PersonalDataVault(regions, new DataKeyCache()), regions, NullLogger<PlainDataMove>.Instance);

        await Assert.ThrowsAsync<Interrupted>(() => move.RunAsync(batch: 2, afterBatch: _ => throw new Interrupted()));
        var left = await move.RemainingAsync();
        Assert.Equal(2, left.Users);
        Assert.False(left.None);

        // Migrating without the move refuses, naming the command, and drops nothing.
        var refused = await Assert.ThrowsAsync<PostgresException>(() => Migrator.MigrateAsync(owner));
        Assert.Contains("vault-move-plain", refused.MessageText);
        await using (var check = await core.OpenConnectionAsync())
        {
            Assert.True(await PlainDataMove.PlainColumnsExistAsync(check, "addresses"));
        }

        // With the step before 0035, as start-up and `migrate` run it: the rest moves, then the columns go.
        var applied = await Migrator.MigrateAsync(owner, [new MigrationStep(MigrationSteps.DropPlainPersonalColumns, "move", ct => move.RunAsync(batch: 2, ct: ct))]);
        // 0035 and every later migration: the refused run above stopped before 0035.
        Assert.Equal(Migrator.All.Select(m => m.Version).Where(v => string.CompareOrdinal(v, MigrationSteps.DropPlainPersonalColumns) >= 0), applied);
        Assert.True((await move.RemainingAsync()).None);

        // One person per customer and one for the guest: five, all in the eu vault (German addresses), none twice.
        await using var vaultEu = NpgsqlDataSource.Create(RegionSettings.VaultDatabaseOf(logins.Owner, Residency.Eu));
        await using var vaultUs = NpgsqlDataSource.Create(RegionSettings.VaultDatabaseOf(logins.Owner, Residency.Us));
        await using var eu = await vaultEu.OpenConnectionAsync();
        await using var us = await vaultUs.OpenConnectionAsync();
        Assert.Equal(5, await eu.ExecuteScalarAsync<long>("select count(*) from vault_people"));
        Assert.Equal(0, await us.ExecuteScalarAsync<long>("select count(*) from vault_people"));
        // The unconfirmed customer only claims the address; the other customers and the guest own theirs.
        Assert.Equal((4L, 1L), await eu.QuerySingleAsync<(long, long)>("select count(email_index), count(email_claim_index) from vault_people"));
        await using var conn2 = await owner.OpenConnectionAsync();
        Assert.Equal(5, await conn2.ExecuteScalarAsync<long>("select count(distinct person_id) from orders"));
        Assert.Equal(0, await conn2.ExecuteScalarAsync<long>("select count(*) from orders where person_id is null"));
        var guestPeople = await conn2.ExecuteScalarAsync<long>("select count(distinct person_id) from orders where customer_id is null");
        Assert.Equal(2, guestPeople);
    }

    private sealed class Development : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = Environments.Development;
        public string ApplicationName { get; set; } = "Headless.Api";
        public string ContentRootPath { get; set; } = Directory.GetCurrentDirectory();
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();
    }
}
