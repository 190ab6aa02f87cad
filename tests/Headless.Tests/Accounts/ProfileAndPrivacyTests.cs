using System.Net;
using System.Net.Http.Json;
using Dapper;
using Headless.Contracts.Accounts;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Accounts;

public sealed class ProfileAndPrivacyTests(AccountsHost host) : IClassFixture<AccountsHost>
{
    private static readonly AddressInput Home = new("shipping", true, "Ada Lovelace", "12 St James's Square", null, "London", null, "SW1Y 4JH", "GB", "+44 20 7946 0000");

    [Fact]
    public async Task Customers_keep_addresses_with_one_default_per_kind()
    {
        var email = AccountsHost.NewEmail();
        await host.RegisterAndConfirmAsync(email);
        var client = host.Client((await host.LoginAsync(email)).AccessToken);

        var first = await (await client.PostAsJsonAsync("/api/v1/account/addresses", Home, Http.Json)).ReadAsync<Address>(HttpStatusCode.Created);
        var second = await (await client.PostAsJsonAsync("/api/v1/account/addresses", Home with { Line1 = "1 New Street" }, Http.Json)).ReadAsync<Address>(HttpStatusCode.Created);
        var list = await (await client.GetAsync("/api/v1/account/addresses")).ReadAsync<AddressList>();
        Assert.Equal(second.Id, Assert.Single(list.Items, a => a.IsDefault).Id);
        Assert.Contains(list.Items, a => a.Id == first.Id && !a.IsDefault);

        var updated = await (await client.PutAsJsonAsync($"/api/v1/account/addresses/{first.Id}", Home with { City = "Cambridge" }, Http.Json)).ReadAsync<Address>();
        Assert.Equal("Cambridge", updated.City);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/account/addresses/{second.Id}")).StatusCode);

        var stranger = host.Client((await host.LoginAsync(await RegisteredAsync())).AccessToken);
        await (await stranger.DeleteAsync($"/api/v1/account/addresses/{first.Id}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await stranger.PutAsJsonAsync($"/api/v1/account/addresses/{first.Id}", Home, Http.Json)).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("country", "XX")]
    [InlineData("country", "gb")]
    [InlineData("kind", "delivery")]
    [InlineData("postalCode", "<script>")]
    [InlineData("fullName", "")]
    public async Task An_invalid_address_is_refused_and_nothing_is_saved(string field, string value)
    {
        var client = host.Client((await host.LoginAsync(await RegisteredAsync())).AccessToken);
        var input = field switch
        {
            "country" => Home with { Country = value },
            "kind" => Home with { Kind = value },
            "postalCode" => Home with { PostalCode = value },
            _ => Home with { FullName = value },
        };
        Assert.Contains(field, (await (await client.PostAsJsonAsync("/api/v1/account/addresses", input, Http.Json)).ProblemAsync(HttpStatusCode.BadRequest)).FieldErrors());
        Assert.Empty((await (await client.GetAsync("/api/v1/account/addresses")).ReadAsync<AddressList>()).Items);
    }

    [Fact]
    public async Task Consent_is_recorded_as_a_history_with_the_policy_version()
    {
        var client = host.Client((await host.LoginAsync(await RegisteredAsync())).AccessToken);
        await client.PostAsJsonAsync("/api/v1/account/consents", new ConsentRequest("analytics", true, "2026-11"), Http.Json);
        var consents = await (await client.PostAsJsonAsync("/api/v1/account/consents", new ConsentRequest("marketing", false, null), Http.Json)).ReadAsync<ConsentList>();

        Assert.Equal(["analytics", "marketing"], consents.Current.Select(c => c.Purpose));
        Assert.False(consents.Current.Single(c => c.Purpose == "marketing").Granted);
        Assert.Equal([true, true, false], consents.History.Select(c => c.Granted));
        await (await client.PostAsJsonAsync("/api/v1/account/consents", new ConsentRequest("selling-data", true, null), Http.Json)).ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_customer_exports_everything_held_about_them()
    {
        var email = AccountsHost.NewEmail();
        var userId = await host.RegisterAndConfirmAsync(email);
        var client = host.Client((await host.LoginAsync(email)).AccessToken);
        await client.PostAsJsonAsync("/api/v1/account/addresses", Home, Http.Json);

        var export = await (await client.GetAsync("/api/v1/account/export")).ReadAsync<PersonalDataExport>();
        Assert.Equal(email, export.Profile.Email);
        Assert.Equal("Ada", export.Profile.FirstName);
        Assert.Equal("12 St James's Square", Assert.Single(export.Addresses).Line1);
        Assert.Contains(export.Consents, c => c.Purpose == "marketing" && c.Granted);
        Assert.Contains(export.Activity, a => a.Action == "auth.login-succeeded");
        Assert.NotEmpty(export.Sessions);

        var staffExport = await (await host.Api.Admin().GetAsync($"/api/v1/admin/customers/{userId}/export")).ReadAsync<PersonalDataExport>();
        Assert.Equal(email, staffExport.Profile.Email);
        await using var conn = await host.Api.Db.OpenConnectionAsync();
        var actions = await conn.QueryAsync<string>("select action from audit_log where entity_id = @id", new { id = userId.ToString() });
        Assert.Contains("gdpr.exported", actions);
        Assert.Contains("gdpr.exported-by-staff", actions);
    }

    [Fact]
    public async Task Erasure_removes_the_person_everywhere_for_good()
    {
        var email = AccountsHost.NewEmail();
        var userId = await host.RegisterAndConfirmAsync(email);
        var auth = await host.LoginAsync(email);
        var client = host.Client(auth.AccessToken);
        await client.PostAsJsonAsync("/api/v1/account/addresses", Home, Http.Json);

        await (await client.PostAsJsonAsync("/api/v1/account/erase", new ReauthenticateRequest("wrong password"), Http.Json)).ProblemAsync(HttpStatusCode.BadRequest);
        var erased = await (await client.PostAsJsonAsync("/api/v1/account/erase", new ReauthenticateRequest(AccountsHost.Password), Http.Json)).ReadAsync<Erasure>();
        Assert.Equal(userId, erased.UserId);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/account")).StatusCode);
        await (await host.LoginRawAsync(email)).ProblemAsync(HttpStatusCode.Unauthorized);
        await using var conn = await host.Api.Db.OpenConnectionAsync();
        var row = await conn.QuerySingleAsync<(string Text, string? Hash)>(
            "select u::text, password_hash from users u where id = @userId", new { userId });
        // Core never held the address (it is the person's vault field, shredded with their key: ErasureShredsTests).
        Assert.DoesNotContain(email, row.Text, StringComparison.OrdinalIgnoreCase);
        Assert.Null(row.Hash);
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>("select count(*) from addresses where user_id = @userId", new { userId }));
        var everything = await conn.ExecuteScalarAsync<long>("""
            select (select count(*) from users where email ilike @pattern)
                 + (select count(*) from outbox where payload::text ilike @pattern)
                 + (select count(*) from audit_log where coalesce(before::text, '') || coalesce(after::text, '') ilike @pattern)
            """, new { pattern = "%" + email + "%" });
        Assert.Equal(0, everything);
        Assert.Equal(1, await conn.ExecuteScalarAsync<long>("select count(*) from audit_log where action = 'gdpr.erased' and entity_id = @id", new { id = userId.ToString() }));

        await (await host.Api.Admin().PostAsync($"/api/v1/admin/customers/{userId}/erase", null)).ProblemAsync(HttpStatusCode.NotFound);
        await (await host.Client().PostAsJsonAsync("/api/v1/auth/forgot-password", new ForgotPasswordRequest(email), Http.Json)).ReadAsync<Contracts.Accounts.Accepted>(HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task Staff_can_erase_a_customer_on_request()
    {
        var email = AccountsHost.NewEmail();
        var userId = await host.RegisterAndConfirmAsync(email);
        var erased = await (await host.Api.Admin().PostAsync($"/api/v1/admin/customers/{userId}/erase", null)).ReadAsync<Erasure>();
        Assert.Equal(userId, erased.UserId);
        await (await host.LoginRawAsync(email)).ProblemAsync(HttpStatusCode.Unauthorized);
        await (await host.Api.Admin().GetAsync($"/api/v1/admin/customers/{userId}/export")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_last_admin_cannot_be_erased()
    {
        var staff = host.Api.Admin(); // starts the app, which creates the first admin account
        await using var conn = await host.Api.Db.OpenConnectionAsync();
        var admins = (await conn.QueryAsync<Guid>("select user_id from user_roles where role = 'admin'")).ToList();
        var admin = Assert.Single(admins);
        var before = await CatalogSeed.FingerprintAsync(host.Api.Db);
        await (await staff.PostAsync($"/api/v1/admin/customers/{admin}/erase", null)).ProblemAsync(HttpStatusCode.Conflict);
        Assert.Null(await conn.ExecuteScalarAsync<DateTime?>("select erased_at from users where id = @admin", new { admin }));
        Assert.Equal(before, await CatalogSeed.FingerprintAsync(host.Api.Db));
    }

    private async Task<string> RegisteredAsync()
    {
        var email = AccountsHost.NewEmail();
        await host.RegisterAndConfirmAsync(email);
        return email;
    }
}
