using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Accounts;
using Headless.Contracts.Commerce;
using Headless.Tests.Accounts;
using Headless.Tests.Commerce;
using Headless.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Headless.Tests.Privacy;

/// <summary>
/// The staff action that moves a customer to the other region (issue 15): copy every vault field into a new person of
/// the target region, verify, repoint core, shred the source (journaled). Afterwards everything reads back the same
/// through the API, sign-in works, and the old region's vault holds nothing readable of the person. A move interrupted
/// after the copy leaves the customer in their old region and the next attempt completes it.
/// </summary>
public sealed class CustomerRegionMoveTests(AccountsHost host) : IClassFixture<AccountsHost>
{
    private RegionMoveCopier Copier => host.Api.Services.GetRequiredService<RegionMoveCopier>();

    private string Owner => host.Api.OwnerConnectionString;

    [Fact]
    public async Task A_German_customer_with_two_orders_and_an_address_moves_to_us_and_reads_back_the_same_while_eu_holds_nothing_readable()
    {
        await Shop.PricingAsync(host.Api);
        var sku = await Shop.SkuAsync(host.Api.Admin(), stock: 10);
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (email, street) = ($"mila.{tag}@example.test", $"Pflaumenweg {tag}");
        var userId = await RegisterGermanAsync(email, $"Mila{tag}", $"Umzug{tag}");
        var customer = host.Client((await host.LoginAsync(email)).AccessToken);
        await (await customer.PostAsJsonAsync("/api/v1/account/addresses",
            new AddressInput("shipping", true, $"Mila Umzug{tag}", street, null, "Berlin", null, "10117", "DE", null), Http.Json)).ReadAsync<Address>(HttpStatusCode.Created);
        var orders = new List<Guid>();
        for (var i = 0; i < 2; i++)
        {
            (await customer.PostAsync("/api/v1/carts", null)).EnsureSuccessStatusCode();
            (await customer.PostAsJsonAsync("/api/v1/carts/mine/lines", new AddCartLineRequest(sku, 1), Http.Json)).EnsureSuccessStatusCode();
            var address = new { fullName = $"Mila Umzug{tag}", line1 = street, city = "Berlin", postalCode = "10117", country = "DE" };
            var checkout = await (await Shop.CheckoutAsync(customer, new { cartToken = "mine", shippingAddress = address, shippingMethod = "standard" }))
                .ReadAsync<CheckoutResult>(HttpStatusCode.Created);
            orders.Add(checkout.Order.Id);
        }
        var admin = host.Api.Admin();
        var before = await ExportAsync(admin, userId);
        var (oldPerson, oldRegion) = await PersonOfAsync(userId);
        Assert.Equal(Residency.Eu, oldRegion);
        var detail = await (await admin.GetAsync($"/api/v1/admin/customers/{userId}")).ReadAsync<CustomerDetail>();
        Assert.Equal((Residency.Eu, 1), (detail.Region, detail.Version));
        var etag = await admin.ETagOfAsync($"/api/v1/admin/customers/{userId}");

        var moved = await (await MoveAsync(admin, userId, "us", etag)).ReadAsync<CustomerRegionMove>();

        Assert.Equal((userId, Residency.Eu, Residency.Us, 2), (moved.CustomerId, moved.FromRegion, moved.Region, moved.Version));
        var (newPerson, newRegion) = await PersonOfAsync(userId);
        Assert.Equal(Residency.Us, newRegion);
        Assert.NotEqual(oldPerson, newPerson);
        await using (var core = new NpgsqlConnection(Owner))
        {
            var orderPeople = (await core.QueryAsync<(Guid, string)>("select person_id, person_region from orders where id = any(@ids)", new { ids = orders.ToArray() })).ToList();
            Assert.Equal([(newPerson, Residency.Us), (newPerson, Residency.Us)], orderPeople);
            // The source's shred is journaled: a restored old backup of the eu vault is shredded again.
            Assert.Equal(Residency.Eu, await core.ExecuteScalarAsync<string>("select region from erasure_journal where person_id = @oldPerson", new { oldPerson }));
            Assert.Equal(1, await core.ExecuteScalarAsync<long>(
                "select count(*) from audit_log where action = 'customer.region_moved' and entity_id = @id and after::text like '%\"to\": \"us\"%'", new { id = userId.ToString() }));
            Assert.Equal(1, await core.ExecuteScalarAsync<long>("select count(*) from outbox where topic = 'customer.region_moved' and aggregate_id = @id", new { id = userId.ToString() }));
        }

        // Everything reads back the same through the API.
        var after = await ExportAsync(admin, userId);
        Assert.Equal(Json(before.Profile), Json(after.Profile));
        Assert.Equal(Json(before.Addresses), Json(after.Addresses));
        Assert.Equal(Json(before.OrderContacts), Json(after.OrderContacts));
        Assert.Equal(Json(before.Orders.Select(o => new { o.Id, o.Email, o.ShippingAddress })), Json(after.Orders.Select(o => new { o.Id, o.Email, o.ShippingAddress })));
        Assert.Equal(2, after.OrderContacts.Count);
        var order = await (await admin.GetAsync($"/api/v1/admin/orders/{orders[0]}")).ReadAsync<Order>();
        Assert.Equal((email, street, false), (order.Email, order.ShippingAddress.Line1, order.ContactErased));
        var signedIn = await host.LoginAsync(email);
        Assert.Equal(userId, signedIn.User.Id);
        var now = await (await admin.GetAsync($"/api/v1/admin/customers/{userId}")).ReadAsync<CustomerDetail>();
        Assert.Equal((Residency.Us, 2, email), (now.Region, now.Version, now.Email));

        // The eu vault keeps only the tombstone (no data key, no fields, no email index); the us vault has the person.
        Assert.Equal(1, await CountAsync(Residency.Eu, "select count(*) from vault_people where id = @oldPerson and wrapped_key is null and email_index is null", new { oldPerson }));
        Assert.Equal(0, await CountAsync(Residency.Eu, "select count(*) from vault_fields where person_id = @oldPerson", new { oldPerson }));
        Assert.Equal(0, await CountAsync(Residency.Eu, "select count(*) from vault_people where id = @newPerson", new { newPerson }));
        Assert.Equal(1, await CountAsync(Residency.Us, "select count(*) from vault_people where id = @newPerson and wrapped_key is not null and email_index is not null", new { newPerson }));
        Assert.True(await CountAsync(Residency.Us, "select count(*) from vault_fields where person_id = @newPerson", new { newPerson }) >= 9);
        Assert.Null(await host.Api.Services.GetRequiredService<PersonalDataVault>().GetAsync(new PersonRef(oldPerson, Residency.Eu)));
        var hits = await PlainTextScan.ScanAsync(
            [("core", Owner), ("vault eu", RegionSettings.VaultDatabaseOf(Owner, Residency.Eu)), ("vault us", RegionSettings.VaultDatabaseOf(Owner, Residency.Us))],
            [email, $"Mila{tag}", $"Umzug{tag}", street]);
        Assert.True(hits.Count == 0, "Personal data stored in plain text:" + Environment.NewLine + PlainTextScan.Describe(hits));

        // Moving to the region the customer is in already is refused; a stale ETag is 412.
        var again = await (await MoveAsync(admin, userId, "us", AdminIfMatch.ETag(2))).ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("https://headless.dev/problems/already-in-region", again["type"]!.GetValue<string>());
        await (await MoveAsync(admin, userId, "eu", etag)).ProblemAsync(HttpStatusCode.PreconditionFailed);
        Assert.Equal((newPerson, Residency.Us), await PersonOfAsync(userId));
    }

    [Fact]
    public async Task A_move_interrupted_after_the_copy_leaves_the_customer_in_eu_and_the_next_attempt_completes_it()
    {
        var email = AccountsHost.NewEmail();
        var userId = await RegisterGermanAsync(email, "Kurt", "Abbruch");
        var admin = host.Api.Admin();
        var before = await ExportAsync(admin, userId);
        var (oldPerson, _) = await PersonOfAsync(userId);
        Guid? copy = null;
        Copier.BeforeVerifyForTests = target =>
        {
            copy = target.Id;
            throw new InvalidOperationException("simulated crash after the copy");
        };
        try
        {
            var crashed = await MoveAsync(admin, userId, "us", AdminIfMatch.ETag(1));
            Assert.Equal(HttpStatusCode.InternalServerError, crashed.StatusCode);
        }
        finally
        {
            Copier.BeforeVerifyForTests = null;
        }

        // Still the eu person, readable; the copy sits unreferenced in us and the move is open.
        Assert.Equal((oldPerson, Residency.Eu), await PersonOfAsync(userId));
        Assert.Equal(Json(before.Profile), Json((await ExportAsync(admin, userId)).Profile));
        Assert.Equal(1, await CountAsync(Residency.Us, "select count(*) from vault_people where id = @copy and wrapped_key is not null", new { copy }));
        Assert.Equal(1, await CoreCountAsync("select count(*) from customer_region_moves where user_id = @userId and finished_at is null", new { userId }));
        Assert.Equal(userId, (await host.LoginAsync(email)).User.Id);

        var moved = await (await MoveAsync(admin, userId, "us", AdminIfMatch.ETag(1))).ReadAsync<CustomerRegionMove>();

        Assert.Equal(Residency.Us, moved.Region);
        var (newPerson, region) = await PersonOfAsync(userId);
        Assert.Equal(Residency.Us, region);
        Assert.NotEqual(copy, newPerson);
        // The abandoned copy is shredded (journaled), the source too; one move abandoned, one done.
        Assert.Equal(1, await CountAsync(Residency.Us, "select count(*) from vault_people where id = @copy and wrapped_key is null", new { copy }));
        Assert.Equal(0, await CountAsync(Residency.Eu, "select count(*) from vault_fields where person_id = @oldPerson", new { oldPerson }));
        Assert.Equal(2, await CoreCountAsync("select count(*) from erasure_journal where person_id = any(@ids)", new { ids = new[] { copy!.Value, oldPerson } }));
        Assert.Equal(["abandoned", "moved"], (await CoreListAsync("select outcome from customer_region_moves where user_id = @userId order by started_at, outcome", new { userId })));
        Assert.Equal(Json(before.Profile), Json((await ExportAsync(admin, userId)).Profile));
        Assert.Equal(userId, (await host.LoginAsync(email)).User.Id);
    }

    [Fact]
    public async Task A_copy_that_does_not_verify_is_removed_nothing_moves_and_a_retry_completes()
    {
        var email = AccountsHost.NewEmail();
        var userId = await RegisterGermanAsync(email, "Vera", "Pruefung");
        var admin = host.Api.Admin();
        var (oldPerson, _) = await PersonOfAsync(userId);
        Guid? copy = null;
        Copier.BeforeVerifyForTests = async target =>
        {
            copy = target.Id;
            await using var conn = new NpgsqlConnection(RegionSettings.VaultDatabaseOf(Owner, Residency.Us));
            await conn.ExecuteAsync("delete from vault_fields where person_id = @Id and name = 'last_name'", new { target.Id });
        };
        try
        {
            var refused = await (await MoveAsync(admin, userId, "us", AdminIfMatch.ETag(1))).ProblemAsync(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("https://headless.dev/problems/region-move-not-verified", refused["type"]!.GetValue<string>());
            Assert.Contains("last_name", refused["detail"]!.GetValue<string>());
            Assert.DoesNotContain("Pruefung", refused.ToJsonString());
        }
        finally
        {
            Copier.BeforeVerifyForTests = null;
        }
        Assert.Equal((oldPerson, Residency.Eu), await PersonOfAsync(userId));
        Assert.Equal(1, await CountAsync(Residency.Us, "select count(*) from vault_people where id = @copy and wrapped_key is null", new { copy }));
        Assert.Equal("Pruefung", (await (await admin.GetAsync($"/api/v1/admin/customers/{userId}")).ReadAsync<CustomerDetail>()).LastName);

        await (await MoveAsync(admin, userId, "us", AdminIfMatch.ETag(1))).ReadAsync<CustomerRegionMove>();
        var detail = await (await admin.GetAsync($"/api/v1/admin/customers/{userId}")).ReadAsync<CustomerDetail>();
        Assert.Equal((Residency.Us, "Pruefung"), (detail.Region, detail.LastName));
    }

    [Fact]
    public async Task A_move_interrupted_after_core_was_repointed_is_finished_by_the_next_attempt()
    {
        var email = AccountsHost.NewEmail();
        var userId = await RegisterGermanAsync(email, "Rita", "Repoint");
        var admin = host.Api.Admin();
        var (oldPerson, _) = await PersonOfAsync(userId);
        Copier.BeforeShredSourceForTests = _ => throw new InvalidOperationException("simulated crash before the shred");
        try
        {
            Assert.Equal(HttpStatusCode.InternalServerError, (await MoveAsync(admin, userId, "us", AdminIfMatch.ETag(1))).StatusCode);
        }
        finally
        {
            Copier.BeforeShredSourceForTests = null;
        }
        // Served from us already; the eu copy is still there until the move is finished.
        Assert.Equal(Residency.Us, (await PersonOfAsync(userId)).Region);
        Assert.Equal("Repoint", (await (await admin.GetAsync($"/api/v1/admin/customers/{userId}")).ReadAsync<CustomerDetail>()).LastName);
        Assert.Equal(1, await CountAsync(Residency.Eu, "select count(*) from vault_people where id = @oldPerson and wrapped_key is not null", new { oldPerson }));

        // The retry of the same move finishes it (200, whatever version the caller held), and the eu copy is shredded.
        var finished = await (await MoveAsync(admin, userId, "us", AdminIfMatch.ETag(1))).ReadAsync<CustomerRegionMove>();
        Assert.Equal((Residency.Eu, Residency.Us, 2), (finished.FromRegion, finished.Region, finished.Version));
        Assert.Equal(1, await CountAsync(Residency.Eu, "select count(*) from vault_people where id = @oldPerson and wrapped_key is null", new { oldPerson }));
        Assert.Equal(0, await CountAsync(Residency.Eu, "select count(*) from vault_fields where person_id = @oldPerson", new { oldPerson }));
        Assert.Equal(["moved"], await CoreListAsync("select outcome from customer_region_moves where user_id = @userId", new { userId }));
        Assert.Equal(userId, (await host.LoginAsync(email)).User.Id);
    }

    [Fact]
    public async Task Two_moves_of_one_customer_cannot_run_at_once()
    {
        var userId = await RegisterGermanAsync(AccountsHost.NewEmail(), "Cora", "Concurrent");
        var admin = host.Api.Admin();
        var copied = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Copier.BeforeVerifyForTests = async _ =>
        {
            copied.TrySetResult();
            await release.Task;
        };
        try
        {
            var first = MoveAsync(admin, userId, "us", AdminIfMatch.ETag(1));
            await copied.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var second = await (await MoveAsync(admin, userId, "us", AdminIfMatch.ETag(1))).ProblemAsync(HttpStatusCode.Conflict);
            Assert.Equal("https://headless.dev/problems/region-move-running", second["type"]!.GetValue<string>());
            release.SetResult();
            Assert.Equal(Residency.Us, (await (await first).ReadAsync<CustomerRegionMove>()).Region);
        }
        finally
        {
            release.TrySetResult();
            Copier.BeforeVerifyForTests = null;
        }
        Assert.Equal(["moved"], await CoreListAsync("select outcome from customer_region_moves where user_id = @userId", new { userId }));
    }

    [Fact]
    public void A_target_region_without_its_settings_is_named_setting_by_setting()
    {
        var services = host.Api.Services;
        var regions = services.GetRequiredService<VaultRegions>();
        var residency = regions.Residency;
        var bare = residency.Settings(Residency.Us) with { ConnectionString = null, KmsKeyId = null, KeyDirectory = null, BlindIndexKey = null };
        var settings = new Dictionary<string, RegionSettings>(residency.Regions.ToDictionary(r => r.Key, r => r.Value)) { [Residency.Us] = bare };
        var copier = new RegionMoveCopier(new VaultRegions(residency with { Regions = settings }, regions.All.ToDictionary(r => r.Region)),
            services.GetRequiredService<DataKeyCache>(), services.GetRequiredService<ErasureJournal>());

        var missing = string.Join(" ", copier.MissingSettings(Residency.Us));
        Assert.Contains("Headless__Residency__Regions__us__ConnectionString", missing);
        Assert.Contains("Headless__Residency__Regions__us__KmsKeyId or Headless__Residency__Regions__us__KeyDirectory", missing);
        Assert.Contains("Headless__Residency__Regions__us__BlindIndexKey", missing);
        Assert.Empty(copier.MissingSettings(Residency.Eu));
    }

    [Fact]
    public async Task Bad_requests_are_problems_and_change_nothing()
    {
        var admin = host.Api.Admin();
        var userId = await RegisterGermanAsync(AccountsHost.NewEmail(), "Bea", "Bad");
        var wrongRegion = await (await MoveAsync(admin, userId, "mars", AdminIfMatch.ETag(1))).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("region", wrongRegion["errors"]!.ToJsonString(), StringComparison.OrdinalIgnoreCase);
        await (await MoveAsync(admin, Guid.NewGuid(), "us", AdminIfMatch.ETag(1))).ProblemAsync(HttpStatusCode.NotFound);
        await (await MoveAsync(admin, userId, "us", "\"not-a-version\"")).ProblemAsync(HttpStatusCode.PreconditionFailed);
        var noIfMatch = await admin.PostAsJsonAsync($"/api/v1/admin/customers/{userId}/region-move", new CustomerRegionMoveRequest("us"), Http.Json);
        await noIfMatch.ProblemAsync(HttpStatusCode.PreconditionRequired);
        Assert.Equal(Residency.Eu, (await PersonOfAsync(userId)).Region);
    }

    [Fact]
    public async Task An_account_that_has_not_confirmed_its_email_is_not_moved()
    {
        var email = AccountsHost.NewEmail();
        var registered = await host.Client().PostAsJsonAsync("/api/v1/auth/register", new RegisterRequest(email, AccountsHost.Password, "Ute", "Unbestaetigt", null, "DE"), Http.Json);
        Assert.Equal(HttpStatusCode.Accepted, registered.StatusCode);
        var userId = Guid.Parse(AccountsHost.Query(AccountsHost.LinkIn(await host.MailAsync(email, "confirm"), "/account/confirm-email"), "userId"));
        var before = await PersonOfAsync(userId);

        var problem = await (await MoveAsync(host.Api.Admin(), userId, "us", AdminIfMatch.ETag(1))).ProblemAsync(HttpStatusCode.Conflict);

        Assert.EndsWith("email-not-confirmed", problem["type"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await PersonOfAsync(userId));
    }

    private static Task<HttpResponseMessage> MoveAsync(HttpClient admin, Guid userId, string region, string ifMatch)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/admin/customers/{userId}/region-move")
        {
            Content = JsonContent.Create(new CustomerRegionMoveRequest(region), options: Http.Json),
        };
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return admin.SendAsync(request);
    }

    private async Task<Guid> RegisterGermanAsync(string email, string first, string last)
    {
        var registered = await host.Client().PostAsJsonAsync("/api/v1/auth/register", new RegisterRequest(email, AccountsHost.Password, first, last, null, "DE"), Http.Json);
        Assert.Equal(HttpStatusCode.Accepted, registered.StatusCode);
        var link = AccountsHost.LinkIn(await host.MailAsync(email, "confirm"), "/account/confirm-email");
        var userId = Guid.Parse(AccountsHost.Query(link, "userId"));
        (await host.Client().PostAsJsonAsync("/api/v1/auth/confirm-email", new ConfirmEmailRequest(userId, AccountsHost.Query(link, "code")), Http.Json))
            .EnsureSuccessStatusCode();
        return userId;
    }

    private static async Task<PersonalDataExport> ExportAsync(HttpClient admin, Guid userId) =>
        await (await admin.GetAsync($"/api/v1/admin/customers/{userId}/export")).ReadAsync<PersonalDataExport>();

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, Http.Json);

    private async Task<(Guid PersonId, string Region)> PersonOfAsync(Guid userId)
    {
        await using var conn = new NpgsqlConnection(Owner);
        return await conn.QuerySingleAsync<(Guid, string)>("select person_id, person_region from users where id = @userId", new { userId });
    }

    private async Task<long> CountAsync(string region, string sql, object args)
    {
        await using var conn = new NpgsqlConnection(RegionSettings.VaultDatabaseOf(Owner, region));
        return await conn.ExecuteScalarAsync<long>(sql, args);
    }

    private async Task<long> CoreCountAsync(string sql, object args)
    {
        await using var conn = new NpgsqlConnection(Owner);
        return await conn.ExecuteScalarAsync<long>(sql, args);
    }

    private async Task<List<string>> CoreListAsync(string sql, object args)
    {
        await using var conn = new NpgsqlConnection(Owner);
        return (await conn.QueryAsync<string>(sql, args)).ToList();
    }
}
