using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Dapper;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Accounts;
using Headless.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

using Erasure = Headless.Contracts.Accounts.Erasure;

namespace Headless.Tests.Accounts;

/// <summary>Issue 15 for accounts: email, names and addresses are fields of the person in their region's vault; core
/// names the person only. Sign-in finds them by the blind index; export decrypts; erasure shreds.</summary>
public sealed class VaultAccountsTests(AccountsHost host) : IClassFixture<AccountsHost>
{
    private static readonly AddressInput Berlin = new("shipping", true, "Greta Gruber", "Unter den Linden 77", null, "Berlin", null, "10117", "DE", "+49 30 1234567");

    private VaultRegions Regions => host.Api.Services.GetRequiredService<VaultRegions>();

    private PersonalDataVault Vault => host.Api.Services.GetRequiredService<PersonalDataVault>();

    private NpgsqlDataSource VaultOwner(string region) => NpgsqlDataSource.Create(Regions[region].Database.Settings.MigrationConnectionString!);

    private async Task<Guid> RegisterAsync(string email, string first, string last, string? country)
    {
        var registered = await host.Client().PostAsJsonAsync("/api/v1/auth/register", new RegisterRequest(email, AccountsHost.Password, first, last, null, country), Http.Json);
        Assert.Equal(HttpStatusCode.Accepted, registered.StatusCode);
        var link = AccountsHost.LinkIn(await host.MailAsync(email, "confirm"), "/account/confirm-email");
        var userId = Guid.Parse(AccountsHost.Query(link, "userId"));
        var confirmed = await host.Client().PostAsJsonAsync("/api/v1/auth/confirm-email", new ConfirmEmailRequest(userId, AccountsHost.Query(link, "code")), Http.Json);
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        return userId;
    }

    private async Task<(Guid PersonId, string Region)> PersonOfAsync(Guid userId)
    {
        await using var conn = await host.Api.Db.OpenConnectionAsync();
        return await conn.QuerySingleAsync<(Guid, string)>("select person_id, person_region from users where id = @userId", new { userId });
    }

    private async Task<long> CountInVaultAsync(string region, string sql, object args)
    {
        await using var owner = VaultOwner(region);
        await using var conn = await owner.OpenConnectionAsync();
        return await conn.ExecuteScalarAsync<long>(sql, args);
    }

    [Fact]
    public async Task A_German_and_an_American_each_live_only_in_their_regions_vault_and_core_holds_no_plain_email_name_or_street()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var greta = $"greta-{tag}@example.test";
        var john = $"john-{tag}@example.test";
        var gretaId = await RegisterAsync(greta, "Greta", $"Gruber{tag}", "de");
        var johnId = await RegisterAsync(john, "John", $"Smith{tag}", "US");
        var auth = await host.LoginAsync(greta);
        Assert.Equal(("Greta", $"Gruber{tag}"), (auth.User.FirstName, auth.User.LastName));
        var address = await (await host.Client(auth.AccessToken).PostAsJsonAsync("/api/v1/account/addresses", Berlin with { Line1 = $"Unter den Linden {tag}" }, Http.Json))
            .ReadAsync<Address>(HttpStatusCode.Created);
        Assert.Equal($"Unter den Linden {tag}", address.Line1);
        var listed = await (await host.Client(auth.AccessToken).GetAsync("/api/v1/account/addresses")).ReadAsync<AddressList>();
        Assert.Equal(("Greta Gruber", "Berlin", "DE"), (listed.Items.Single().FullName, listed.Items.Single().City, listed.Items.Single().Country));

        var (gretaPerson, gretaRegion) = await PersonOfAsync(gretaId);
        var (johnPerson, johnRegion) = await PersonOfAsync(johnId);
        Assert.Equal((Residency.Eu, Residency.Us), (gretaRegion, johnRegion));
        foreach (var (person, own, other) in new[] { (gretaPerson, Residency.Eu, Residency.Us), (johnPerson, Residency.Us, Residency.Eu) })
        {
            Assert.Equal(1, await CountInVaultAsync(own, "select count(*) from vault_people where id = @person and wrapped_key is not null", new { person }));
            Assert.True(await CountInVaultAsync(own, "select count(*) from vault_fields where person_id = @person", new { person }) >= 3);
            Assert.Equal(0, await CountInVaultAsync(other, "select count(*) from vault_people where id = @person", new { person }));
            Assert.Equal(0, await CountInVaultAsync(other, "select count(*) from vault_fields where person_id = @person", new { person }));
        }
        Assert.Equal(1, await CountInVaultAsync(Residency.Eu, "select count(*) from vault_fields where person_id = @gretaPerson and name = @name",
            new { gretaPerson, name = $"address.{address.Id:N}" }));

        // Every text column of the account tables in core, and every field of both vaults: no email, name or street in clear.
        await using var conn = await host.Api.Db.OpenConnectionAsync();
        var plain = await conn.QuerySingleAsync<string>("select u::text from users u where id = @gretaId", new { gretaId });
        Assert.DoesNotContain(greta, plain, StringComparison.OrdinalIgnoreCase);
        foreach (var table in new[] { "users", "addresses", "consents", "staff_invitations", "user_logins", "audit_log" })
        {
            var rows = (await conn.QueryAsync<string>($"select t::text from {table} t")).ToList();
            foreach (var secret in new[] { tag, "Greta", "Linden" })
            {
                Assert.DoesNotContain(rows, r => r.Contains(secret, StringComparison.OrdinalIgnoreCase));
            }
        }
        foreach (var region in Residency.AllRegions)
        {
            await using var owner = VaultOwner(region);
            await using var vault = await owner.OpenConnectionAsync();
            var fields = (await vault.QueryAsync<byte[]>("select ciphertext from vault_fields")).Select(Encoding.UTF8.GetString).ToList();
            Assert.DoesNotContain(fields, f => f.Contains(tag, StringComparison.Ordinal) || f.Contains("Greta", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Sign_in_finds_the_person_by_the_blind_index_with_one_indexed_query()
    {
        var email = AccountsHost.NewEmail();
        await RegisterAsync(email, "Ana", "Index", "FR");
        Assert.Equal(email, (await host.LoginAsync(email.ToUpperInvariant())).User.Email);
        await (await host.LoginRawAsync(email, "a wrong password here")).ProblemAsync(HttpStatusCode.Unauthorized);

        // The lookup the store runs is an index scan of the unique blind index, never a scan of the people.
        await using var owner = VaultOwner(Residency.Eu);
        await using var conn = await owner.OpenConnectionAsync();
        var index = BlindIndexKey.Of(Regions[Residency.Eu].BlindIndexKey!, email);
        var plan = await conn.ExecuteScalarAsync<string>("explain (format json) " + PersonalDataVault.FindByEmailSql, new { index });
        Assert.Contains("vault_people_email_index", plan);
        Assert.DoesNotContain("Seq Scan", plan);
    }

    [Fact]
    public async Task Registering_the_same_email_in_another_case_is_the_usual_answer_and_makes_no_second_person()
    {
        var email = AccountsHost.NewEmail();
        var userId = await RegisterAsync(email, "Ada", "Case", "DE");
        var fresh = await host.Client().PostAsJsonAsync("/api/v1/auth/register", new RegisterRequest(AccountsHost.NewEmail(), AccountsHost.Password, null, null, null, "US"), Http.Json);
        var again = await host.Client().PostAsJsonAsync("/api/v1/auth/register", new RegisterRequest(email.ToUpperInvariant(), "another password 123", null, null, null, "US"), Http.Json);
        Assert.Equal(fresh.StatusCode, again.StatusCode);
        Assert.Equal(await fresh.Content.ReadAsStringAsync(), await again.Content.ReadAsStringAsync());
        await host.MailAsync(email, "tried to create");

        var (person, region) = await PersonOfAsync(userId);
        Assert.Equal(new PersonRef(person, region), await Vault.FindByEmailAsync($"  {email.ToUpperInvariant()} "));
        await using var conn = await host.Api.Db.OpenConnectionAsync();
        Assert.Equal(1, await conn.ExecuteScalarAsync<long>("select count(*) from users where person_id = @person", new { person }));
        Assert.Equal(0, await CountInVaultAsync(Residency.Us, "select count(*) from vault_people where email_index = @index",
            new { index = BlindIndexKey.Of(Regions[Residency.Us].BlindIndexKey!, email) }));
    }

    [Fact]
    public async Task A_bad_country_is_a_400_naming_the_field_and_writes_nothing()
    {
        var email = AccountsHost.NewEmail();
        foreach (var country in new[] { "XX", "Germany", "D", "" })
        {
            var problem = await (await host.Client().PostAsJsonAsync("/api/v1/auth/register",
                new RegisterRequest(email, AccountsHost.Password, null, null, null, country), Http.Json)).ProblemAsync(HttpStatusCode.BadRequest);
            Assert.Contains("country", problem.FieldErrors());
        }
        Assert.Null(await Vault.FindByEmailAsync(email));
        Assert.Null(await VaultPeople.UserIdAsync(host.Api.Services, host.Api.Db, email));
    }

    [Fact]
    public async Task Without_a_country_the_person_is_kept_in_the_region_of_this_API()
    {
        var email = AccountsHost.NewEmail();
        var userId = await RegisterAsync(email, "Nora", "Where", null);
        var (person, region) = await PersonOfAsync(userId);
        Assert.Equal(Regions.Residency.Region, region);
        Assert.Equal(1, await CountInVaultAsync(region, "select count(*) from vault_people where id = @person and country is null", new { person }));
    }

    [Fact]
    public async Task A_guest_who_ordered_before_and_then_registers_is_the_same_person()
    {
        var email = AccountsHost.NewEmail();
        // What checkout does for a guest (issue 15): the person by email, their order contact in their vault.
        var guest = await Vault.FindOrCreateByEmailAsync(email, "AT");
        var orderId = Guid.CreateVersion7();
        await Vault.PutAsync(guest, new Dictionary<string, string?> { [$"order.{orderId:N}.email"] = email });

        var userId = await RegisterAsync(email, "Gustl", "Guest", "US");
        Assert.Equal((guest.Id, guest.Region), await PersonOfAsync(userId));
        var export = await (await host.Api.Admin().GetAsync($"/api/v1/admin/customers/{userId}/export")).ReadAsync<PersonalDataExport>();
        Assert.Equal(email, export.OrderContacts.Single(o => o.OrderId == orderId).Fields["email"]);
    }

    [Fact]
    public async Task Export_decrypts_and_erasure_shreds_the_person()
    {
        var email = AccountsHost.NewEmail();
        var userId = await RegisterAsync(email, "Erin", "Erase", "IE");
        var auth = await host.LoginAsync(email);
        var client = host.Client(auth.AccessToken);
        await (await client.PostAsJsonAsync("/api/v1/account/addresses", Berlin, Http.Json)).ReadAsync<Address>(HttpStatusCode.Created);
        var (personId, region) = await PersonOfAsync(userId);
        var person = new PersonRef(personId, region);
        var orderId = Guid.CreateVersion7();
        await Vault.PutAsync(person, new Dictionary<string, string?>
        {
            [$"order.{orderId:N}.email"] = email,
            [$"order.{orderId:N}.shipping_address"] = """{"line1":"Unter den Linden 77"}""",
        });

        var export = await (await client.GetAsync("/api/v1/account/export")).ReadAsync<PersonalDataExport>();
        Assert.Equal((email, "Erin", "Erase"), (export.Profile.Email, export.Profile.FirstName, export.Profile.LastName));
        Assert.Equal("Unter den Linden 77", export.Addresses.Single().Line1);
        var order = export.OrderContacts.Single();
        Assert.Equal(orderId, order.OrderId);
        Assert.Equal(email, order.Fields["email"]);
        Assert.Contains("Unter den Linden", order.Fields["shipping_address"]);

        var erased = await (await client.PostAsJsonAsync("/api/v1/account/erase", new ReauthenticateRequest(AccountsHost.Password), Http.Json)).ReadAsync<Erasure>();
        Assert.Equal(userId, erased.UserId);
        // The key is gone (the tombstone stays), every field with it: the account's, the address, the order contact.
        Assert.Equal(1, await CountInVaultAsync(region, "select count(*) from vault_people where id = @personId and wrapped_key is null and email_index is null", new { personId }));
        Assert.Equal(0, await CountInVaultAsync(region, "select count(*) from vault_fields where person_id = @personId", new { personId }));
        Assert.Null(await Vault.GetAsync(person));
        Assert.Null(await Vault.FindByEmailAsync(email));
        await (await host.LoginRawAsync(email)).ProblemAsync(HttpStatusCode.Unauthorized);
        await (await host.Api.Admin().GetAsync($"/api/v1/admin/customers/{userId}/export")).ProblemAsync(HttpStatusCode.NotFound);
        var detail = await (await host.Api.Admin().GetAsync($"/api/v1/admin/customers/{userId}")).ReadAsync<CustomerDetail>();
        Assert.DoesNotContain(email, detail.Email);
        Assert.Null(detail.FirstName);
    }

    [Fact]
    public async Task A_vault_that_is_down_makes_sign_in_registration_and_customer_routes_503_while_the_catalog_and_search_answer()
    {
        // A customer of the EU vault exists in core; then the API is started with its EU vault on a port nothing listens on.
        var userId = Guid.CreateVersion7();
        await using (var conn = await host.Api.Db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("""
                insert into users (id, email_confirmed, security_stamp, concurrency_stamp, person_id, person_region) values (@userId, true, 'x', 'x', @person, 'eu');
                insert into user_roles (user_id, role) values (@userId, 'customer');
                """, new { userId, person = Guid.CreateVersion7() });
        }
        await using var down = host.Api.WithWebHostBuilder(b => b.UseSetting("Headless:Residency:Regions:eu:ConnectionString",
            "Host=127.0.0.1;Port=27101;Database=nowhere;Username=nobody;Password=nothing;Timeout=3"));
        var client = down.CreateClient();
        var admin = down.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.Api.AdminKey);

        var answers = new[]
        {
            await client.PostAsJsonAsync("/api/v1/auth/register", new RegisterRequest(AccountsHost.NewEmail(), AccountsHost.Password, null, null, null, "DE"), Http.Json),
            await client.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest(AccountsHost.NewEmail(), AccountsHost.Password, null, null, null), Http.Json),
            await admin.GetAsync("/api/v1/admin/customers"),
            await admin.GetAsync($"/api/v1/admin/customers/{userId}"),
        };
        foreach (var answer in answers)
        {
            var problem = await answer.ProblemAsync(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("https://headless.dev/problems/vault-unavailable", problem["type"]!.GetValue<string>());
            Assert.Equal(VaultProblems.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), answer.Headers.RetryAfter?.ToString());
        }
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/products")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/search?q=linen")).StatusCode);
    }
}
