using System.Net;
using System.Net.Http.Json;
using Dapper;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Commerce;
using Headless.Tests.Accounts;
using Headless.Tests.Commerce;
using Headless.Tests.Infrastructure;
using Npgsql;

namespace Headless.Tests.Privacy;

/// <summary>
/// No personal field in plain text anywhere (issue 15): <see cref="PlainTextScan"/> over the core database and both
/// vault databases. The helper is proven on planted values; then a German and an American customer register, order and
/// get their order email, and neither person's email, name or street is found, while each person's vault rows are in
/// their own region's vault only.
/// </summary>
public sealed class PlainTextScanTests(AccountsHost host) : IClassFixture<AccountsHost>
{
    [Fact]
    public async Task The_scan_finds_a_planted_value_in_every_column_type_it_covers_and_names_table_column_and_rows()
    {
        var logins = await TestDatabase.CreateAsync();
        await using (var conn = new NpgsqlConnection(logins.Owner))
        {
            await conn.ExecuteAsync("""
                create table planted (
                    id int primary key, note text, code varchar(80), fixed char(40), doc jsonb, raw json, blob bytea, client inet, tags text[]);
                insert into planted values
                    (1, 'ships to Zwetschgenweg 7, Köln', 'x', 'x', '{"a": 1}', '{}', '\x00'::bytea, '10.0.0.1', '{}'),
                    (2, 'nothing here', 'ZWETSCHGENWEG 7', 'zwetschgenweg 7', '{"to": {"street": "Zwetschgenweg 7"}}', '{"s": "zwetschgenWEG 7"}',
                        '\x01'::bytea || convert_to('-- Zwetschgenweg 7 --', 'UTF8') || '\xff'::bytea, '203.0.113.42', '{"a","zwetschgenweg 7"}'),
                    (3, 'nothing', 'nothing', 'nothing', '{}', '{}', convert_to('Straße', 'UTF8'), '10.0.0.2', '{}');
                """);
        }

        var hits = await PlainTextScan.ScanAsync([("core", logins.Owner)], ["Zwetschgenweg 7", "203.0.113.42", "Straße", "not planted anywhere"]);

        var described = PlainTextScan.Describe(hits);
        foreach (var column in new[] { "code", "fixed", "doc", "raw", "blob", "tags" })
        {
            Assert.Contains(new PlainTextHit("core", "planted", column, "Zwetschgenweg 7", 1), hits);
        }
        Assert.Contains(new PlainTextHit("core", "planted", "note", "Zwetschgenweg 7", 1), hits);
        Assert.Contains(new PlainTextHit("core", "planted", "client", "203.0.113.42", 1), hits);
        Assert.Contains(new PlainTextHit("core", "planted", "blob", "Straße", 1), hits);
        Assert.DoesNotContain(hits, h => h.Needle == "not planted anywhere");
        Assert.Contains("core: planted.doc holds \"Zwetschgenweg 7\" in 1 row", described);
        // A fresh, migrated database holds none of it.
        Assert.All(hits, h => Assert.Equal("planted", h.Table));
    }

    [Fact]
    public async Task A_German_and_an_American_customer_register_order_and_get_mail_and_no_plain_text_of_theirs_is_stored_anywhere()
    {
        await Shop.PricingAsync(host.Api);
        var sku = await Shop.SkuAsync(host.Api.Admin(), stock: 10);
        var tag = Guid.NewGuid().ToString("N")[..8];
        var german = new Shopper($"friederike.{tag}@example.test", "Friederike", $"Zwetschgenbaum{tag}", $"Kastanienallee 42{tag}", "Leipzig", "04109", "DE", null);
        var american = new Shopper($"marybeth.{tag}@example.test", "Marybeth", $"Quackenbush{tag}", $"1600 Sycamore Lane {tag}", "San Francisco", "94105", "US", "CA");

        var germanUser = await RegisterOrderAndReadMailAsync(german, sku);
        var americanUser = await RegisterOrderAndReadMailAsync(american, sku);

        var owner = host.Api.OwnerConnectionString;
        var hits = await PlainTextScan.ScanAsync(
            [("core", owner), ("vault eu", RegionSettings.VaultDatabaseOf(owner, Residency.Eu)), ("vault us", RegionSettings.VaultDatabaseOf(owner, Residency.Us))],
            [.. german.Needles, .. american.Needles]);
        Assert.True(hits.Count == 0, "Personal data stored in plain text:" + Environment.NewLine + PlainTextScan.Describe(hits));
        // Not encrypted beside the vault either: a checkout's Idempotency-Key record is a reference to the order, with no answer body.
        await using (var core = new NpgsqlConnection(owner))
        {
            var records = await core.QuerySingleAsync<(long All, long WithBody)>(
                "select count(*), count(response) from idempotency_keys where scope like 'checkout:%'");
            Assert.True(records.All >= 2 && records.WithBody == 0, $"{records.WithBody} of {records.All} checkout records hold a response body");
        }

        await AssertLivesOnlyInAsync(germanUser, Residency.Eu);
        await AssertLivesOnlyInAsync(americanUser, Residency.Us);
    }

    private sealed record Shopper(string Email, string FirstName, string LastName, string Street, string City, string PostalCode, string Country, string? Region)
    {
        public string[] Needles => [Email, FirstName, LastName, $"{FirstName} {LastName}", Street];
    }

    /// <summary>Registers (with the country), confirms, signs in, checks out and pays, and waits for the order email;
    /// returns the user's id.</summary>
    private async Task<Guid> RegisterOrderAndReadMailAsync(Shopper shopper, string sku)
    {
        var client = host.Client();
        var registered = await client.PostAsJsonAsync("/api/v1/auth/register", new
        {
            email = shopper.Email,
            password = AccountsHost.Password,
            firstName = shopper.FirstName,
            lastName = shopper.LastName,
            marketingConsent = true,
            country = shopper.Country,
        }, Http.Json);
        Assert.True(registered.StatusCode == HttpStatusCode.Accepted, await registered.Content.ReadAsStringAsync());
        var link = AccountsHost.LinkIn(await host.MailAsync(shopper.Email, "confirm"), "/account/confirm-email");
        var userId = Guid.Parse(AccountsHost.Query(link, "userId"));
        (await client.PostAsJsonAsync("/api/v1/auth/confirm-email", new Headless.Contracts.Accounts.ConfirmEmailRequest(userId, AccountsHost.Query(link, "code")), Http.Json))
            .EnsureSuccessStatusCode();

        var customer = host.Client((await host.LoginAsync(shopper.Email)).AccessToken);
        (await customer.PostAsync("/api/v1/carts", null)).EnsureSuccessStatusCode();
        (await customer.PostAsJsonAsync("/api/v1/carts/mine/lines", new AddCartLineRequest(sku, 1), Http.Json)).EnsureSuccessStatusCode();
        var address = new
        {
            fullName = $"{shopper.FirstName} {shopper.LastName}",
            line1 = shopper.Street,
            city = shopper.City,
            postalCode = shopper.PostalCode,
            country = shopper.Country,
            region = shopper.Region,
        };
        var checkout = await (await Shop.CheckoutAsync(customer, new { cartToken = "mine", shippingAddress = address, shippingMethod = "standard" }))
            .ReadAsync<CheckoutResult>(HttpStatusCode.Created);
        (await Shop.PayAsync(customer, checkout)).EnsureSuccessStatusCode();
        var mail = await host.MailAsync(shopper.Email, checkout.Order.Number);
        // The mail itself carries the street (the vault decrypted it for sending): only storage must not.
        Assert.Contains(shopper.Street, mail.Text, StringComparison.Ordinal);
        return userId;
    }

    /// <summary>The user's person (and their orders' person) is in <paramref name="region"/>'s vault, and nowhere in the other.</summary>
    private async Task AssertLivesOnlyInAsync(Guid userId, string region)
    {
        var owner = host.Api.OwnerConnectionString;
        await using var core = new NpgsqlConnection(owner);
        var person = await core.QuerySingleAsync<(Guid? Id, string? Region)>("select person_id, person_region from users where id = @userId", new { userId });
        Assert.True(person.Id is not null, $"user {userId} names no person in a vault");
        Assert.Equal(region, person.Region);
        var orderPeople = (await core.QueryAsync<(Guid? Id, string? Region)>(
            "select person_id, person_region from orders where customer_id = @userId", new { userId })).ToList();
        Assert.NotEmpty(orderPeople);
        Assert.All(orderPeople, o => Assert.Equal(region, o.Region));

        var people = new[] { person.Id.Value }.Concat(orderPeople.Select(o => o.Id!.Value)).Distinct().ToArray();
        foreach (var vault in Residency.AllRegions)
        {
            await using var conn = new NpgsqlConnection(RegionSettings.VaultDatabaseOf(owner, vault));
            var rows = await conn.ExecuteScalarAsync<long>(
                "select (select count(*) from vault_people where id = any(@people)) + (select count(*) from vault_fields where person_id = any(@people))", new { people });
            if (vault == region)
            {
                Assert.True(rows >= people.Length + 1, $"the {region} vault holds {rows} rows of the person(s) {string.Join(", ", people)}");
            }
            else
            {
                Assert.True(rows == 0, $"the {vault} vault holds {rows} rows of a person of {region}");
            }
        }
    }
}
