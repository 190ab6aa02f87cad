using System.Net;
using System.Net.Http.Json;
using Dapper;
using Headless.Contracts.Accounts;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Accounts;

public sealed class SignInTests(AccountsHost host) : IClassFixture<AccountsHost>
{
    [Fact]
    public async Task A_shopper_registers_confirms_from_the_email_and_signs_in()
    {
        var email = AccountsHost.NewEmail();
        var client = host.Client();
        await client.PostAsJsonAsync("/api/v1/auth/register", new RegisterRequest(email, AccountsHost.Password, "Ada", "Lovelace", false), Http.Json);

        var early = await host.LoginRawAsync(email);
        Assert.Equal("https://headless.dev/problems/email-not-confirmed", (await early.ProblemAsync(HttpStatusCode.Forbidden))["type"]!.GetValue<string>());

        var mail = await host.MailAsync(email, "confirm");
        Assert.Contains("Ada", mail.Text);
        var link = AccountsHost.LinkIn(mail, "/account/confirm-email");
        var confirm = await client.PostAsJsonAsync("/api/v1/auth/confirm-email",
            new ConfirmEmailRequest(Guid.Parse(AccountsHost.Query(link, "userId")), AccountsHost.Query(link, "code")), Http.Json);
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);

        var auth = await host.LoginAsync(email);
        Assert.Equal("Bearer", auth.TokenType);
        Assert.False(string.IsNullOrEmpty(auth.RefreshToken));
        var me = await (await host.Client(auth.AccessToken).GetAsync("/api/v1/account")).ReadAsync<Me>();
        Assert.Equal(email, me.Email);
        Assert.Equal(["customer"], me.Roles);
    }

    [Fact]
    public async Task A_forged_or_tampered_confirmation_code_is_refused()
    {
        var email = AccountsHost.NewEmail();
        await host.Client().PostAsJsonAsync("/api/v1/auth/register", new RegisterRequest(email, AccountsHost.Password, null, null, null), Http.Json);
        var link = AccountsHost.LinkIn(await host.MailAsync(email, "confirm"), "/account/confirm-email");
        var userId = Guid.Parse(AccountsHost.Query(link, "userId"));

        var forged = await host.Client().PostAsJsonAsync("/api/v1/auth/confirm-email", new ConfirmEmailRequest(userId, "Zm9yZ2Vk"), Http.Json);
        await forged.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.Forbidden, (await host.LoginRawAsync(email)).StatusCode);
    }

    [Fact]
    public async Task Registering_a_taken_email_answers_the_same_and_creates_nothing()
    {
        var email = AccountsHost.NewEmail();
        await host.RegisterAndConfirmAsync(email);
        var fresh = await host.Client().PostAsJsonAsync("/api/v1/auth/register", new RegisterRequest(AccountsHost.NewEmail(), AccountsHost.Password, null, null, null), Http.Json);
        var again = await host.Client().PostAsJsonAsync("/api/v1/auth/register", new RegisterRequest(email, "another password 123", null, null, null), Http.Json);

        Assert.Equal(fresh.StatusCode, again.StatusCode);
        Assert.Equal(await fresh.Content.ReadAsStringAsync(), await again.Content.ReadAsStringAsync());
        await host.MailAsync(email, "tried to create");
        await using var conn = await host.Api.Db.OpenConnectionAsync();
        // One person holds the address (the vault's blind index is unique), and one account names that person.
        var userId = await VaultPeople.UserIdAsync(host.Api.Services, host.Api.Db, email.ToUpperInvariant());
        Assert.Equal(1, await conn.ExecuteScalarAsync<long>(
            "select count(*) from users where person_id = (select person_id from users where id = @userId)", new { userId }));
        Assert.Equal(HttpStatusCode.OK, (await host.LoginRawAsync(email)).StatusCode);
    }

    [Fact]
    public async Task A_weak_password_or_bad_email_is_refused_before_anything_is_written()
    {
        var before = await CatalogSeed.FingerprintAsync(host.Api.Db);
        var weak = await host.Client().PostAsJsonAsync("/api/v1/auth/register", new RegisterRequest(AccountsHost.NewEmail(), "short", null, null, null), Http.Json);
        Assert.Contains("password", (await weak.ProblemAsync(HttpStatusCode.BadRequest)).FieldErrors());
        var bad = await host.Client().PostAsJsonAsync("/api/v1/auth/register", new RegisterRequest("not-an-email", AccountsHost.Password, null, null, null), Http.Json);
        Assert.Contains("email", (await bad.ProblemAsync(HttpStatusCode.BadRequest)).FieldErrors());
        await using var conn = await host.Api.Db.OpenConnectionAsync();
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>("select count(*) from users where email = 'not-an-email'"));
        Assert.Equal(before, await CatalogSeed.FingerprintAsync(host.Api.Db));
    }

    [Fact]
    public async Task Sign_in_failures_look_the_same_whether_or_not_the_email_exists()
    {
        var email = AccountsHost.NewEmail();
        await host.RegisterAndConfirmAsync(email);
        var wrongPassword = await host.LoginRawAsync(email, "wrong password 123");
        var unknownEmail = await host.LoginRawAsync(AccountsHost.NewEmail(), "wrong password 123");

        var a = await wrongPassword.ProblemAsync(HttpStatusCode.Unauthorized);
        var b = await unknownEmail.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(a["type"]!.GetValue<string>(), b["type"]!.GetValue<string>());
        Assert.Equal(a["detail"]!.GetValue<string>(), b["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Five_failures_lock_the_account_even_for_the_right_password_and_are_audited()
    {
        var email = AccountsHost.NewEmail();
        var userId = await host.RegisterAndConfirmAsync(email);
        var failures = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => host.LoginRawAsync(email, "wrong password 123")));
        Assert.All(failures, f => Assert.Equal(HttpStatusCode.Unauthorized, f.StatusCode));

        await (await host.LoginRawAsync(email)).ProblemAsync(HttpStatusCode.Unauthorized);

        await using var conn = await host.Api.Db.OpenConnectionAsync();
        var actions = (await conn.QueryAsync<string>("select action from audit_log where entity_id = @id order by id", new { id = userId.ToString() })).ToList();
        Assert.Contains("auth.locked-out", actions);
        Assert.True(actions.Count(a => a is "auth.login-failed" or "auth.locked-out") >= 5);
        Assert.True(await conn.ExecuteScalarAsync<bool>("select lockout_end > now() from users where id = @userId", new { userId }));
    }

    [Fact]
    public async Task Refresh_tokens_rotate_and_a_replayed_one_signs_the_device_out()
    {
        var email = AccountsHost.NewEmail();
        await host.RegisterAndConfirmAsync(email);
        var first = await host.LoginAsync(email);

        var second = await (await host.Client().PostAsJsonAsync("/api/v1/auth/refresh", new RefreshRequest(first.RefreshToken), Http.Json)).ReadAsync<AuthResponse>();
        Assert.NotEqual(first.RefreshToken, second.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, (await host.Client(second.AccessToken).GetAsync("/api/v1/account")).StatusCode);

        var replay = await host.Client().PostAsJsonAsync("/api/v1/auth/refresh", new RefreshRequest(first.RefreshToken), Http.Json);
        await replay.ProblemAsync(HttpStatusCode.Unauthorized);
        var afterReplay = await host.Client().PostAsJsonAsync("/api/v1/auth/refresh", new RefreshRequest(second.RefreshToken), Http.Json);
        await afterReplay.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client(second.AccessToken).GetAsync("/api/v1/account")).StatusCode);
    }

    [Fact]
    public async Task Logout_ends_the_session_for_its_tokens_and_cookie()
    {
        var email = AccountsHost.NewEmail();
        await host.RegisterAndConfirmAsync(email);
        var auth = await host.LoginAsync(email);
        var client = host.Client(auth.AccessToken);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/api/v1/auth/logout", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/account")).StatusCode);
        await (await host.Client().PostAsJsonAsync("/api/v1/auth/refresh", new RefreshRequest(auth.RefreshToken), Http.Json)).ProblemAsync(HttpStatusCode.Unauthorized);

        var browser = host.Client();
        Assert.Equal(HttpStatusCode.OK, (await host.LoginRawAsync(email, cookies: true, client: browser)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/v1/account")).StatusCode);
        var csrf = await (await browser.GetAsync("/api/v1/auth/csrf")).ReadAsync<CsrfToken>();
        var logout = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/logout");
        logout.Headers.Add(csrf.HeaderName, csrf.Token);
        Assert.Equal(HttpStatusCode.NoContent, (await browser.SendAsync(logout)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/v1/account")).StatusCode);
    }

    [Fact]
    public async Task Browser_sessions_need_the_csrf_token_on_writes()
    {
        var email = AccountsHost.NewEmail();
        await host.RegisterAndConfirmAsync(email);
        var browser = host.Client();
        var login = await host.LoginRawAsync(email, cookies: true, client: browser);
        var auth = await login.ReadAsync<AuthResponse>();
        Assert.Null(auth.AccessToken);
        var setCookie = string.Join("\n", login.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("secure", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", setCookie, StringComparison.OrdinalIgnoreCase);

        var address = new AddressInput("shipping", true, "Ada Lovelace", "1 Analytical Way", null, "London", null, "N1 9GU", "GB", null);
        var without = await browser.PostAsJsonAsync("/api/v1/account/addresses", address, Http.Json);
        Assert.Equal("https://headless.dev/problems/csrf", (await without.ProblemAsync(HttpStatusCode.Forbidden))["type"]!.GetValue<string>());

        var csrf = await (await browser.GetAsync("/api/v1/auth/csrf")).ReadAsync<CsrfToken>();
        var with = new HttpRequestMessage(HttpMethod.Post, "/api/v1/account/addresses") { Content = JsonContent.Create(address, options: Http.Json) };
        with.Headers.Add(csrf.HeaderName, csrf.Token);
        Assert.Equal(HttpStatusCode.Created, (await browser.SendAsync(with)).StatusCode);
    }
}
