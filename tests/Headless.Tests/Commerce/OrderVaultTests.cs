using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Commerce;
using Headless.Tests.Email;
using Headless.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Headless.Tests.Commerce;

/// <summary>Orders' contact and addresses, and their mail, kept in the vault of the customer's region (issue 15), on real
/// PostgreSQL with both regional vaults and a real SMTP sink.</summary>
public sealed class OrderVaultTests(EmailApiFactory api) : IClassFixture<EmailApiFactory>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private sealed record Guest(string Email, string Name, string Street, string Country, string PostalCode, string? Region)
    {
        public static Guest German() => new($"greta.{Guid.NewGuid():N}@example.test", $"Greta Vaultmann {Unique()}", $"Lindenallee {Unique()}", "DE", "10115", null);

        public static Guest American() => new($"sam.{Guid.NewGuid():N}@example.test", $"Sam Vaultson {Unique()}", $"Market Street {Unique()}", "US", "94103", "CA");

        private static string Unique() => Guid.NewGuid().ToString("N")[..10];

        public object Body(string cartToken) => new
        {
            cartToken,
            email = Email,
            shippingAddress = new { fullName = Name, line1 = Street, city = Country == "DE" ? "Berlin" : "San Francisco", postalCode = PostalCode, country = Country, region = Region },
            shippingMethod = "standard",
        };
    }

    private async Task<CheckoutResult> CheckOutAsync(Guest guest)
    {
        await Shop.PricingAsync(api);
        var sku = await Shop.SkuAsync(api.Admin(), stock: 5, price: 1200);
        var shopper = api.CreateClient();
        var cart = await Shop.NewCartAsync(shopper, (sku, 1));
        return await (await Shop.CheckoutAsync(shopper, guest.Body(cart.Token))).ReadAsync<CheckoutResult>(HttpStatusCode.Created);
    }

    private VaultRegions Regions => api.Services.GetRequiredService<VaultRegions>();

    private async Task<long> VaultRowsAsync(string region, string sql, object args)
    {
        await using var db = NpgsqlDataSource.Create(Regions[region].Database.Settings.MigrationConnectionString!);
        await using var conn = await db.OpenConnectionAsync();
        return await conn.ExecuteScalarAsync<long>(sql, args);
    }

    /// <summary>Rows of any table of the core database whose text contains <paramref name="needle"/> (any case).</summary>
    private async Task<List<string>> CoreTablesContainingAsync(string needle)
    {
        await using var conn = await api.Db.OpenConnectionAsync();
        var tables = (await conn.QueryAsync<string>(
            "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1")).ToList();
        var found = new List<string>();
        foreach (var table in tables)
        {
            if (await conn.ExecuteScalarAsync<bool>($"select exists (select 1 from \"{table}\" t where strpos(lower(t::text), lower(@needle)) > 0)", new { needle }))
            {
                found.Add(table);
            }
        }
        return found;
    }

    private static async Task<Order> PayAsync(HttpClient shopper, CheckoutResult checkout) =>
        await (await Shop.PayAsync(shopper, checkout)).ReadAsync<Order>();

    [Fact]
    public async Task A_german_and_an_american_guest_each_keep_their_contact_only_in_their_regions_vault_and_get_their_mail()
    {
        var greta = Guest.German();
        var sam = Guest.American();
        var shopper = api.CreateClient();
        var forGreta = await CheckOutAsync(greta);
        var forSam = await CheckOutAsync(sam);
        // The checkout's answer still shows the shopper what they typed.
        Assert.Equal(greta.Email, forGreta.Order.Email);
        Assert.Equal(sam.Street, forSam.Order.ShippingAddress.Line1);

        foreach (var (guest, checkout, region, other) in new[] { (greta, forGreta, "eu", "us"), (sam, forSam, "us", "eu") })
        {
            await using var conn = await api.Db.OpenConnectionAsync();
            var row = await conn.QuerySingleAsync<(string Text, Guid PersonId, string PersonRegion, string ShipCountry)>(
                "select o::text, person_id, person_region, ship_country from orders o where id = @Id", new { checkout.Order.Id });
            Assert.DoesNotContain(guest.Email, row.Text, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(region, row.PersonRegion);
            Assert.Equal(guest.Country, row.ShipCountry);
            var person = await api.Vault.FindByEmailAsync(guest.Email);
            Assert.Equal(new PersonRef(row.PersonId, region), person);

            var id = checkout.Order.Id.ToString("N");
            Assert.Equal(3, await VaultRowsAsync(region, "select count(*) from vault_fields where person_id = @PersonId and name like @prefix",
                new { row.PersonId, prefix = $"order.{id}.%" }));
            Assert.Equal(0, await VaultRowsAsync(other, "select count(*) from vault_people where id = @PersonId", new { row.PersonId }));
            Assert.Equal(0, await VaultRowsAsync(other, "select count(*) from vault_fields where name like @prefix", new { prefix = $"order.{id}.%" }));
        }

        var paidGreta = await PayAsync(shopper, forGreta);
        var paidSam = await PayAsync(shopper, forSam);
        Assert.Equal(greta.Name, paidGreta.ShippingAddress.FullName);
        Assert.Equal(sam.Email, paidSam.Email);

        foreach (var (guest, checkout) in new[] { (greta, forGreta), (sam, forSam) })
        {
            var mail = await api.Sink.WaitForMailAsync(m => m.To.Contains(guest.Email) && m.Subject.Contains(checkout.Order.Number, StringComparison.Ordinal), Timeout);
            Assert.Contains($"Hi {guest.Name},", mail.Text);
            Assert.Contains(guest.Street, mail.Text);
            Assert.Contains(checkout.Order.Number, mail.Text);
        }

        // Nothing in the core database names either guest: not the orders, not the mail in the outbox, not the audit log.
        foreach (var needle in new[] { greta.Email, greta.Name, greta.Street, sam.Email, sam.Name, sam.Street })
        {
            Assert.Empty(await CoreTablesContainingAsync(needle));
        }
        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            var payloads = (await conn.QueryAsync<string>("""
                select e.payload::text from outbox e join outbox p on p.txid = e.txid
                where p.topic = 'order.paid' and p.aggregate_id = any(@ids) and e.topic = 'email.requested'
                """, new { ids = new[] { forGreta.Order.Id.ToString(), forSam.Order.Id.ToString() } })).ToList();
            Assert.Equal(2, payloads.Count);
            Assert.All(payloads, p => Assert.Equal(["mail", "person", "template"], JsonNode.Parse(p)!.AsObject().Select(kv => kv.Key).Order()));
        }
    }

    [Fact]
    public async Task Guests_read_their_order_and_staff_filter_by_email_through_the_vault_and_an_erased_customers_order_keeps_only_what_tax_needs()
    {
        var greta = Guest.German();
        var checkout = await CheckOutAsync(greta);
        var guest = api.CreateClient();
        guest.DefaultRequestHeaders.Add("X-Order-Token", checkout.OrderToken);
        var mine = await (await guest.GetAsync($"/api/v1/orders/{checkout.Order.Id}")).ReadAsync<Order>();
        Assert.Equal(greta.Email, mine.Email);
        Assert.Equal(greta.Street, mine.ShippingAddress.Line1);
        Assert.Equal(greta.Name, mine.BillingAddress.FullName);
        Assert.False(mine.ContactErased);

        var admin = api.Admin();
        var listed = await (await admin.GetAsync($"/api/v1/admin/orders?email={Uri.EscapeDataString(greta.Email.ToUpperInvariant())}")).ReadAsync<OrderPage>();
        var only = Assert.Single(listed.Items);
        Assert.Equal(checkout.Order.Id, only.Id);
        Assert.Equal(greta.Email, only.Email);
        Assert.Empty((await (await admin.GetAsync($"/api/v1/admin/orders?email=nobody.{Guid.NewGuid():N}@example.test")).ReadAsync<OrderPage>()).Items);

        // A staff read of the order's personal data is audited, naming the order, not the person.
        var detail = await (await admin.GetAsync($"/api/v1/admin/orders/{checkout.Order.Id}")).ReadAsync<Order>();
        Assert.Equal(greta.Email, detail.Email);
        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            var audit = await conn.QuerySingleAsync<(string Actor, string Row)>(
                "select actor, a::text from audit_log a where action = 'order.personal_data_read' and entity_id = @id", new { id = checkout.Order.Id.ToString() });
            Assert.StartsWith("api-key:", audit.Actor);
            Assert.DoesNotContain(greta.Email, audit.Row, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(greta.Name, audit.Row, StringComparison.Ordinal);
        }

        Assert.True(await api.Vault.ShredAsync((await api.Vault.FindByEmailAsync(greta.Email))!));
        var erased = await (await guest.GetAsync($"/api/v1/orders/{checkout.Order.Id}")).ReadAsync<Order>();
        Assert.True(erased.ContactErased);
        Assert.Equal("", erased.Email);
        Assert.Equal("", erased.ShippingAddress.FullName);
        Assert.Equal("", erased.ShippingAddress.Line1);
        Assert.Equal("DE", erased.ShippingAddress.Country);
        Assert.Equal(checkout.Order.Number, erased.Number);
        Assert.Equal(checkout.Order.Totals, erased.Totals);
        Assert.Equal(checkout.Order.Lines, erased.Lines);
        var adminErased = await (await admin.GetAsync($"/api/v1/admin/orders?number={checkout.Order.Number}")).ReadAsync<OrderPage>();
        Assert.True(Assert.Single(adminErased.Items).ContactErased);
        Assert.Empty((await (await admin.GetAsync($"/api/v1/admin/orders?email={Uri.EscapeDataString(greta.Email)}")).ReadAsync<OrderPage>()).Items);
    }

    [Fact]
    public async Task A_repeat_guest_is_the_same_person_and_their_first_checkouts_country_keeps_deciding_the_region()
    {
        var sam = Guest.American();
        var first = await CheckOutAsync(sam);
        var second = await CheckOutAsync(sam with { Country = "DE", PostalCode = "10115", Region = null });
        await using var conn = await api.Db.OpenConnectionAsync();
        var people = (await conn.QueryAsync<(Guid, string)>("select person_id, person_region from orders where id = any(@ids)",
            new { ids = new[] { first.Order.Id, second.Order.Id } })).Distinct().ToList();
        Assert.Equal("us", Assert.Single(people).Item2);
    }
}
