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
        host.Client((await host.LoginAsync(email, code: totpSecret is null ? null : Totp.Next(totpSecret))).AccessToken);

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
        var (staff, _, _) = await host.SignInWithMfaAsync(email);

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
        var third = host.Client((await host.LoginAsync(email, "the admin's own passphrase", Totp.Next(secret))).AccessToken);
        var admins = await (await third.GetAsync("/api/v1/admin/users?role=admin")).ReadAsync<UserPage>();
        Assert.Contains(admins.Items, u => u.Email == email);
    }

    [Fact]
    public async Task Admins_create_scoped_api_keys_shown_once_and_revoke_them()
    {
        var (admin, _) = await host.MfaAdminAsync();
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
        var (admin, acting) = await host.MfaAdminAsync();

        var me = await (await admin.PutAsJsonAsync($"/api/v1/admin/users/{user.Id}/roles", new SetRolesRequest(["customer", "staff"]), Http.Json)).ReadAsync<Me>();
        Assert.Equal(["customer", "staff"], me.Roles);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client(before.AccessToken).GetAsync("/api/v1/account")).StatusCode);
        var (after, _, _) = await host.SignInWithMfaAsync(email);
        Assert.Equal(HttpStatusCode.Created, (await after.PostAsJsonAsync("/api/v1/admin/categories", new { slug = CatalogSeed.Unique("promoted"), name = "Promoted" })).StatusCode);

        await using var conn = await host.Api.Db.OpenConnectionAsync();
        var change = await conn.QuerySingleAsync<string>("select after::text from audit_log where action = 'user.roles-changed' and entity_id = @id", new { id = user.Id.ToString() });
        Assert.Contains("staff", change);
        Assert.Equal($"user:{acting.Id}", await conn.QuerySingleAsync<string>("select actor from audit_log where action = 'user.roles-changed' and entity_id = @id", new { id = user.Id.ToString() }));

        var admins = await conn.QueryAsync<Guid>("select user_id from user_roles where role = 'admin' and user_id <> @me", new { me = acting.Id });
        foreach (var id in admins)
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/v1/admin/users/{id}/roles", new SetRolesRequest(["staff"]), Http.Json)).StatusCode);
        }
        var last = await conn.QuerySingleAsync<Guid>("select user_id from user_roles where role = 'admin'");
        Assert.Equal(acting.Id, last);
        await (await admin.PutAsJsonAsync($"/api/v1/admin/users/{last}/roles", new SetRolesRequest(["staff"]), Http.Json)).ProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Staff_of_every_role_need_a_second_factor_for_admin_routes()
    {
        var email = AccountsHost.NewEmail();
        await host.CreateUserAsync(email, "staff");
        var withoutMfa = await SignedInAsync(email);
        var refused = await (await withoutMfa.PostAsJsonAsync("/api/v1/admin/categories", new { slug = CatalogSeed.Unique("nomfa"), name = "No MFA" })).ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("two-factor", refused["detail"]!.GetValue<string>());
        await (await withoutMfa.GetAsync("/api/v1/admin/orders")).ProblemAsync(HttpStatusCode.Forbidden);

        var (secret, _) = await host.EnableMfaAsync(withoutMfa);
        await (await withoutMfa.PostAsJsonAsync("/api/v1/admin/categories", new { slug = CatalogSeed.Unique("nomfa"), name = "Still no MFA" })).ProblemAsync(HttpStatusCode.Forbidden);
        var withMfa = await SignedInAsync(email, secret);
        Assert.Equal(HttpStatusCode.Created, (await withMfa.PostAsJsonAsync("/api/v1/admin/categories", new { slug = CatalogSeed.Unique("mfa"), name = "With MFA" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await withMfa.GetAsync("/api/v1/admin/orders")).StatusCode);
    }

    [Fact]
    public async Task An_api_key_never_creates_api_keys_or_changes_roles_whatever_its_scopes()
    {
        var email = AccountsHost.NewEmail();
        var user = await host.CreateUserAsync(email, "customer");
        var key = host.Api.Admin(); // the admin scope, which covers every other admin route

        Assert.Equal(HttpStatusCode.OK, (await key.GetAsync("/api/v1/admin/users")).StatusCode);
        var mint = await (await key.PostAsJsonAsync("/api/v1/admin/api-keys", new CreateApiKeyRequest("escalate", ["admin"]), Http.Json)).ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("admin signed in with two-factor authentication", mint["detail"]!.GetValue<string>());
        var promote = await (await key.PutAsJsonAsync($"/api/v1/admin/users/{user.Id}/roles", new SetRolesRequest(["admin"]), Http.Json)).ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("admin signed in with two-factor authentication", promote["detail"]!.GetValue<string>());

        await using var conn = await host.Api.Db.OpenConnectionAsync();
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>("select count(*) from api_keys where name = 'escalate'"));
        Assert.Equal(["customer"], (await conn.QueryAsync<string>("select role from user_roles where user_id = @Id", new { user.Id })).ToList());
    }
}
