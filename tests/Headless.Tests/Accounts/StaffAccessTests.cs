using System.Net;
using System.Net.Http.Json;
using Dapper;
using Headless.Api.Features.Accounts;
using Headless.Contracts.Accounts;
using Headless.Tests.Admin;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Accounts;

public sealed class StaffAccessTests(AccountsHost host) : IClassFixture<AccountsHost>
{
    private async Task<HttpClient> SignedInAsync(string email, string? totpSecret = null) =>
        host.Client((await host.LoginAsync(email, code: totpSecret is null ? null : Totp.Code(totpSecret))).AccessToken);

    [Fact]
    public async Task Customers_get_403_on_every_admin_route()
    {
        var email = AccountsHost.NewEmail();
        await host.RegisterAndConfirmAsync(email);
        var customer = await SignedInAsync(email);
        var wrong = new List<string>();
        foreach (var (method, path) in AdminAccessTests.AdminRoutes(host.Api))
        {
            var response = await customer.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonContent.Create(new { }) });
            if (response.StatusCode != HttpStatusCode.Forbidden)
            {
                wrong.Add($"{method} {path} -> {(int)response.StatusCode}");
            }
        }
        Assert.Empty(wrong);
    }

    [Fact]
    public async Task Staff_manage_the_catalog_but_not_people_or_keys()
    {
        var email = AccountsHost.NewEmail();
        await host.CreateUserAsync(email, "staff");
        var staff = await SignedInAsync(email);

        Assert.Equal(HttpStatusCode.Created, (await staff.PostAsJsonAsync("/api/v1/admin/categories", new { slug = CatalogSeed.Unique("staff"), name = "Staff picks" })).StatusCode);
        await (await staff.GetAsync("/api/v1/admin/users")).ProblemAsync(HttpStatusCode.Forbidden);
        await (await staff.PostAsJsonAsync("/api/v1/admin/api-keys", new CreateApiKeyRequest("erp", ["catalog"]))).ProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Admins_must_sign_in_with_a_second_factor_to_use_admin_routes()
    {
        var email = AccountsHost.NewEmail();
        await host.CreateUserAsync(email, "admin", "staff");
        var withoutMfa = await SignedInAsync(email);
        var refused = await (await withoutMfa.GetAsync("/api/v1/admin/users")).ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("two-factor", refused["detail"]!.GetValue<string>());

        var (secret, _) = await host.EnableMfaAsync(withoutMfa);
        await (await withoutMfa.GetAsync("/api/v1/admin/users")).ProblemAsync(HttpStatusCode.Forbidden);
        var withMfa = await SignedInAsync(email, secret);
        Assert.Equal(HttpStatusCode.OK, (await withMfa.GetAsync("/api/v1/admin/users?role=admin")).StatusCode);
    }

    [Fact]
    public async Task The_first_run_admin_must_change_the_printed_password_then_enrol_mfa()
    {
        var (email, password) = await AdminAccount.ResetAsync(host.Api.Services, CancellationToken.None);
        var first = host.Client((await host.LoginAsync(email, password)).AccessToken);
        var mustChange = await (await first.GetAsync("/api/v1/admin/users")).ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("Change your password", mustChange["detail"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.OK, (await first.PostAsJsonAsync("/api/v1/account/password", new ChangePasswordRequest(password, "the admin's own passphrase"))).StatusCode);
        var second = host.Client((await host.LoginAsync(email, "the admin's own passphrase")).AccessToken);
        var (secret, _) = await host.EnableMfaAsync(second);
        var third = host.Client((await host.LoginAsync(email, "the admin's own passphrase", Totp.Code(secret))).AccessToken);
        var admins = await (await third.GetAsync("/api/v1/admin/users?role=admin")).ReadAsync<UserPage>();
        Assert.Contains(admins.Items, u => u.Email == email);
    }

    [Fact]
    public async Task Admins_create_scoped_api_keys_shown_once_and_revoke_them()
    {
        var admin = host.Api.Admin();
        var created = await (await admin.PostAsJsonAsync("/api/v1/admin/api-keys", new CreateApiKeyRequest("ERP feed", ["catalog"]), Http.Json))
            .ReadAsync<ApiKeyCreated>(HttpStatusCode.Created);
        Assert.StartsWith("hk_", created.Secret);

        var machine = host.Client();
        machine.DefaultRequestHeaders.Add("X-Api-Key", created.Secret);
        Assert.Equal(HttpStatusCode.Created, (await machine.PostAsJsonAsync("/api/v1/admin/categories", new { slug = CatalogSeed.Unique("erp"), name = "ERP" })).StatusCode);
        await (await machine.GetAsync("/api/v1/admin/users")).ProblemAsync(HttpStatusCode.Forbidden);

        var listed = (await (await admin.GetAsync("/api/v1/admin/api-keys")).ReadAsync<ApiKeyList>()).Items.Single(k => k.Id == created.Id);
        Assert.NotNull(listed.LastUsedAt);
        Assert.StartsWith(listed.Prefix, created.Secret);
        Assert.DoesNotContain(created.Secret, await (await admin.GetAsync("/api/v1/admin/api-keys")).Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/admin/api-keys/{created.Id}")).StatusCode);
        await (await machine.PostAsJsonAsync("/api/v1/admin/categories", new { slug = CatalogSeed.Unique("erp"), name = "ERP" })).ProblemAsync(HttpStatusCode.Unauthorized);

        await using var conn = await host.Api.Db.OpenConnectionAsync();
        var audit = (await conn.QueryAsync<string>("select action from audit_log where entity_id = @id order by id", new { id = created.Id.ToString() })).ToList();
        Assert.Equal(["api_key.created", "api_key.revoked"], audit);
        await (await admin.PostAsJsonAsync("/api/v1/admin/api-keys", new CreateApiKeyRequest("bad", ["root"]), Http.Json)).ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Role_changes_apply_at_once_and_are_audited_and_the_last_admin_stays()
    {
        var email = AccountsHost.NewEmail();
        var user = await host.CreateUserAsync(email, "customer");
        var before = await host.LoginAsync(email);
        var admin = host.Api.Admin();

        var me = await (await admin.PutAsJsonAsync($"/api/v1/admin/users/{user.Id}/roles", new SetRolesRequest(["customer", "staff"]), Http.Json)).ReadAsync<Me>();
        Assert.Equal(["customer", "staff"], me.Roles);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client(before.AccessToken).GetAsync("/api/v1/account")).StatusCode);
        var after = host.Client((await host.LoginAsync(email)).AccessToken);
        Assert.Equal(HttpStatusCode.Created, (await after.PostAsJsonAsync("/api/v1/admin/categories", new { slug = CatalogSeed.Unique("promoted"), name = "Promoted" })).StatusCode);

        await using var conn = await host.Api.Db.OpenConnectionAsync();
        var change = await conn.QuerySingleAsync<string>("select after::text from audit_log where action = 'user.roles-changed' and entity_id = @id", new { id = user.Id.ToString() });
        Assert.Contains("staff", change);
        Assert.StartsWith("api-key:", await conn.QuerySingleAsync<string>("select actor from audit_log where action = 'user.roles-changed' and entity_id = @id", new { id = user.Id.ToString() }));

        var admins = await conn.QueryAsync<Guid>("select user_id from user_roles where role = 'admin'");
        foreach (var id in admins.Skip(1))
        {
            await admin.PutAsJsonAsync($"/api/v1/admin/users/{id}/roles", new SetRolesRequest(["staff"]), Http.Json);
        }
        var last = await conn.QuerySingleAsync<Guid>("select user_id from user_roles where role = 'admin'");
        await (await admin.PutAsJsonAsync($"/api/v1/admin/users/{last}/roles", new SetRolesRequest(["staff"]), Http.Json)).ProblemAsync(HttpStatusCode.Conflict);
    }
}
