using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Dapper;
using Headless.Contracts.Accounts;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Accounts.Social;

/// <summary>
/// "Sign in with Google" end to end against a real OpenID provider (npm oidc-provider on 127.0.0.1): the
/// API client plays the browser on the shop, a second client with its own cookies plays it on the provider.
/// </summary>
public sealed partial class SocialLoginTests(SocialHost host) : IClassFixture<SocialHost>
{
    private const string Callback = "https://localhost/api/v1/auth/external/google/callback";

    [Fact]
    public async Task The_first_sign_in_creates_a_confirmed_customer_with_the_providers_names()
    {
        var email = $"alice-{Guid.NewGuid():N}@example.test";
        var login = "verified:" + email;
        var browser = host.Client();

        var done = await SignInWithGoogleAsync(browser, login);

        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        Assert.Equal("/account/orders", done.Headers.Location!.OriginalString);
        var cookies = done.Headers.GetValues("Set-Cookie").ToList();
        var session = Assert.Single(cookies, c => c.StartsWith("hl_session=", StringComparison.Ordinal));
        Assert.Contains("; secure", session, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; httponly", session, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; samesite=lax", session, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(cookies, c => c.StartsWith("hl_external=;", StringComparison.Ordinal) && c.Contains("1970", StringComparison.Ordinal));
        var me = await (await browser.GetAsync("/api/v1/account")).ReadAsync<Me>();
        Assert.Equal(email, me.Email);
        Assert.True(me.EmailConfirmed);
        Assert.Equal("Alice", me.FirstName);
        Assert.Equal("Green", me.LastName);
        Assert.Equal(["customer"], me.Roles);
        Assert.False(me.TwoFactorEnabled);

        await using var conn = await host.Api.Db.OpenConnectionAsync();
        var logins = (await conn.QueryAsync<(string Provider, string ProviderKey)>(
            "select provider, provider_key from user_logins where user_id = @id", new { id = me.Id })).ToList();
        Assert.Equal([("google", login)], logins);
        Assert.Null(await conn.ExecuteScalarAsync<string?>("select password_hash from users where id = @id", new { id = me.Id }));
        Assert.Equal(1, await conn.ExecuteScalarAsync<int>(
            "select count(*) from sessions where user_id = @id and kind = 'cookie'", new { id = me.Id }));
        Assert.Equal(["auth.external-register"], await AuditAsync(me.Id));
    }

    [Fact]
    public async Task Signing_in_again_with_the_same_provider_account_reaches_the_same_user()
    {
        var email = $"carol-{Guid.NewGuid():N}@example.test";
        var login = "verified:" + email;
        var first = host.Client();
        Assert.Equal("/account/orders", (await SignInWithGoogleAsync(first, login)).Headers.Location!.OriginalString);
        var created = await (await first.GetAsync("/api/v1/account")).ReadAsync<Me>();

        var second = host.Client();
        var done = await SignInWithGoogleAsync(second, login, "/account");
        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        Assert.Equal("/account", done.Headers.Location!.OriginalString);
        var me = await (await second.GetAsync("/api/v1/account")).ReadAsync<Me>();
        Assert.Equal(created.Id, me.Id);
        Assert.Equal("Carol", me.FirstName);

        await using var conn = await host.Api.Db.OpenConnectionAsync();
        Assert.Equal(me.Id, await VaultPeople.UserIdAsync(host.Api.Services, host.Api.Db, email));
        Assert.Equal(1, await conn.ExecuteScalarAsync<int>("select count(*) from user_logins where user_id = @id", new { id = me.Id }));
        Assert.Equal(2, await conn.ExecuteScalarAsync<int>(
            "select count(*) from sessions where user_id = @id and kind = 'cookie'", new { id = me.Id }));
        Assert.Equal(["auth.external-register", "auth.external-login"], await AuditAsync(me.Id));
    }

    [Fact]
    public async Task A_verified_provider_email_links_to_the_existing_password_account()
    {
        var email = AccountsHost.NewEmail();
        var userId = await host.RegisterAndConfirmAsync(email);
        var browser = host.Client();

        var done = await SignInWithGoogleAsync(browser, "verified:" + email);

        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        Assert.Equal("/account/orders", done.Headers.Location!.OriginalString);
        var me = await (await browser.GetAsync("/api/v1/account")).ReadAsync<Me>();
        Assert.Equal(userId, me.Id);
        Assert.Equal(email, me.Email);
        Assert.Equal("Ada", me.FirstName); // the account's own names are kept
        Assert.Equal(["customer"], me.Roles);
        var password = await host.LoginAsync(email);
        Assert.Equal(userId, password.User.Id);

        await using var conn = await host.Api.Db.OpenConnectionAsync();
        Assert.Equal(me.Id, await VaultPeople.UserIdAsync(host.Api.Services, host.Api.Db, email));
        Assert.Equal("verified:" + email, await conn.ExecuteScalarAsync<string>(
            "select provider_key from user_logins where user_id = @id and provider = 'google'", new { id = userId }));
        Assert.Contains("auth.external-login-linked", await AuditAsync(userId));
        Assert.DoesNotContain("auth.external-register", await AuditAsync(userId));
    }

    [Fact]
    public async Task A_verified_provider_email_takes_over_an_unconfirmed_registration_and_drops_its_password()
    {
        // Someone registered the address without owning it; the provider proves who does.
        var email = AccountsHost.NewEmail();
        var registered = await host.Client().PostAsJsonAsync("/api/v1/auth/register",
            new RegisterRequest(email, AccountsHost.Password, "Mallory", "Squatter", true), Http.Json);
        Assert.Equal(HttpStatusCode.Accepted, registered.StatusCode);
        await using var conn = await host.Api.Db.OpenConnectionAsync();
        var userId = (await VaultPeople.UserIdAsync(host.Api.Services, host.Api.Db, email))!.Value;
        var browser = host.Client();

        var done = await SignInWithGoogleAsync(browser, "verified:" + email);

        Assert.Equal("/account/orders", done.Headers.Location!.OriginalString);
        var me = await (await browser.GetAsync("/api/v1/account")).ReadAsync<Me>();
        Assert.Equal(userId, me.Id);
        Assert.True(me.EmailConfirmed);
        Assert.Null(await conn.ExecuteScalarAsync<string?>("select password_hash from users where id = @userId", new { userId }));
        await (await host.LoginRawAsync(email)).ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(["auth.external-login-linked"], await AuditAsync(userId));
    }

    [Fact]
    public async Task With_mfa_on_a_provider_sign_in_links_and_signs_in_only_after_the_second_factor()
    {
        var email = AccountsHost.NewEmail();
        var userId = await host.RegisterAndConfirmAsync(email);
        var (secret, recovery) = await host.EnableMfaAsync(host.Client((await host.LoginAsync(email)).AccessToken));
        var browser = host.Client();

        // Auto-linking by the verified email: the same MFA step as the password path, nothing linked or signed in yet.
        // A browser navigation, so the answer is the storefront's code page, not a JSON 401.
        var linking = await SignInWithGoogleAsync(browser, "verified:" + email);
        Assert.Equal(HttpStatusCode.Redirect, linking.StatusCode);
        Assert.Equal("/account/second-factor/?returnUrl=%2Faccount%2Forders", linking.Headers.Location!.OriginalString);
        Assert.DoesNotContain(linking.Headers.TryGetValues("Set-Cookie", out var set) ? set : [], c => c.StartsWith("hl_session=", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/v1/account")).StatusCode);
        await using var conn = await host.Api.Db.OpenConnectionAsync();
        Assert.Equal(0, await conn.ExecuteScalarAsync<int>("select count(*) from user_logins where user_id = @userId", new { userId }));
        Assert.Equal(0, await conn.ExecuteScalarAsync<int>("select count(*) from sessions where user_id = @userId and second_factor = false and kind = 'cookie'", new { userId }));

        var elsewhere = await host.Client().PostAsJsonAsync("/api/v1/auth/login/second-factor", new SecondFactorRequest(Totp.Next(secret), null, true), Http.Json);
        Assert.Equal("https://headless.dev/problems/mfa-not-pending", (await elsewhere.ProblemAsync(HttpStatusCode.Unauthorized))["type"]!.GetValue<string>());
        var wrong = await browser.PostAsJsonAsync("/api/v1/auth/login/second-factor", new SecondFactorRequest(Totp.Code(secret, DateTimeOffset.UtcNow.AddMinutes(-10)), null, true), Http.Json);
        Assert.Equal("https://headless.dev/problems/mfa-failed", (await wrong.ProblemAsync(HttpStatusCode.Unauthorized))["type"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/v1/account")).StatusCode);

        var done = await browser.PostAsJsonAsync("/api/v1/auth/login/second-factor", new SecondFactorRequest(Totp.Next(secret), null, true), Http.Json);
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        Assert.Equal(userId, (await (await browser.GetAsync("/api/v1/account")).ReadAsync<Me>()).Id);
        Assert.Equal("verified:" + email, await conn.ExecuteScalarAsync<string>(
            "select provider_key from user_logins where user_id = @userId and provider = 'google'", new { userId }));
        Assert.True(await conn.ExecuteScalarAsync<bool>(
            "select bool_and(second_factor) from sessions where user_id = @userId and kind = 'cookie'", new { userId }));
        Assert.Equal(["auth.external-login-mfa-pending", "auth.external-login-linked"], await AuditAsync(userId));

        // The linked provider login, next time: the same step again.
        var again = host.Client();
        var known = await SignInWithGoogleAsync(again, "verified:" + email, "https://evil.example/");
        Assert.Equal("/account/second-factor/?returnUrl=%2Faccount", known.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Unauthorized, (await again.GetAsync("/api/v1/account")).StatusCode);
        var withRecovery = await again.PostAsJsonAsync("/api/v1/auth/login/second-factor", new SecondFactorRequest(null, recovery[0], true), Http.Json);
        Assert.Equal(HttpStatusCode.OK, withRecovery.StatusCode);
        Assert.Equal(userId, (await (await again.GetAsync("/api/v1/account")).ReadAsync<Me>()).Id);
    }

    [Fact]
    public async Task An_unverified_provider_email_neither_creates_nor_links_an_account()
    {
        var fresh = AccountsHost.NewEmail();
        var browser = host.Client();
        var refused = await SignInWithGoogleAsync(browser, "unverified:" + fresh);
        var problem = await refused.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("https://headless.dev/problems/external-email-unverified", problem["type"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/v1/account")).StatusCode);

        var existing = AccountsHost.NewEmail();
        var userId = await host.RegisterAndConfirmAsync(existing);
        var other = host.Client();
        var notLinked = await SignInWithGoogleAsync(other, "unverified:" + existing);
        await notLinked.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.Unauthorized, (await other.GetAsync("/api/v1/account")).StatusCode);

        await using var conn = await host.Api.Db.OpenConnectionAsync();
        Assert.Null(await VaultPeople.UserIdAsync(host.Api.Services, host.Api.Db, fresh));
        Assert.Equal(0, await conn.ExecuteScalarAsync<int>(
            "select count(*) from user_logins where provider_key in (@a, @b) or user_id = @userId",
            new { a = "unverified:" + fresh, b = "unverified:" + existing, userId }));
        Assert.Empty(await AuditAsync(userId)); // only auth.external-* actions are listed
        Assert.Equal(0, await conn.ExecuteScalarAsync<int>("select count(*) from sessions where user_id = @userId", new { userId }));
    }

    [Theory]
    [InlineData("https://evil.example/")]
    [InlineData("//evil.example/account")]
    [InlineData("/\\evil.example")]
    public async Task A_return_url_off_the_site_ends_at_the_account_page(string returnUrl)
    {
        var browser = host.Client();
        var done = await SignInWithGoogleAsync(browser, $"verified:dave-{Guid.NewGuid():N}@example.test", returnUrl);

        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        Assert.Equal("/account", done.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/v1/account")).StatusCode);
    }

    [Fact]
    public async Task A_provider_that_is_not_configured_is_not_found()
    {
        var response = await host.Client().GetAsync("/api/v1/auth/external/facebook?returnUrl=/account");
        await response.ProblemAsync(HttpStatusCode.NotFound);
        var unknown = await host.Client().GetAsync("/api/v1/auth/external/myspace?returnUrl=/account");
        await unknown.ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Cancelling_at_the_provider_is_a_401_problem_not_a_server_error()
    {
        var shop = host.Client();
        var callback = await AtTheProviderAsync(shop, "alice", "/account", cancel: true);
        Assert.Equal("access_denied", AccountsHost.Query(callback, "error"));

        var response = await shop.GetAsync(callback);

        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("https://headless.dev/problems/external-login-failed", problem["type"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, (await shop.GetAsync("/api/v1/account")).StatusCode);
    }

    [Fact]
    public async Task A_forged_or_replayed_callback_is_a_401_problem_not_a_server_error()
    {
        var forged = await host.Client().GetAsync("/api/v1/auth/external/google/callback?code=forged&state=forged");
        var problem = await forged.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("https://headless.dev/problems/external-login-failed", problem["type"]!.GetValue<string>());

        // A real callback URL, used once by its browser and then again (its correlation cookie is spent) and by another browser.
        var shop = host.Client();
        var callback = await AtTheProviderAsync(shop, $"verified:erin-{Guid.NewGuid():N}@example.test", "/account");
        Assert.Equal(HttpStatusCode.Redirect, (await shop.GetAsync(callback)).StatusCode);
        await (await shop.GetAsync(callback)).ProblemAsync(HttpStatusCode.Unauthorized);
        var stranger = host.Client();
        await (await stranger.GetAsync(callback)).ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync("/api/v1/account")).StatusCode);
    }

    [Fact]
    public async Task Completing_without_the_providers_callback_is_refused()
    {
        var browser = host.Client();
        var response = await browser.GetAsync("/api/v1/auth/external/google/complete?returnUrl=/account");
        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("https://headless.dev/problems/external-login-failed", problem["type"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/v1/account")).StatusCode);
    }

    /// <summary>
    /// One "Sign in with Google" the way a browser does it: start on the shop, sign in and consent on the
    /// provider's forms, come back to the API's callback, and follow it to /complete. Returns /complete's
    /// response (a redirect to returnUrl, or a problem).
    /// </summary>
    private async Task<HttpResponseMessage> SignInWithGoogleAsync(HttpClient shop, string login, string returnUrl = "/account/orders")
    {
        var callback = await AtTheProviderAsync(shop, login, returnUrl);
        Assert.Equal(host.Provider.Issuer, AccountsHost.Query(callback, "iss"));
        Assert.False(string.IsNullOrEmpty(AccountsHost.Query(callback, "code")));

        // Back on the shop: the OAuth handler redeems the code over real HTTP, then hands over to /complete.
        var handled = await shop.GetAsync(callback);
        Assert.True(handled.StatusCode == HttpStatusCode.Redirect,
            $"The callback answered {(int)handled.StatusCode}: {await handled.Content.ReadAsStringAsync()} {host.Provider.Errors}");
        var complete = handled.Headers.Location!;
        Assert.StartsWith("/api/v1/auth/external/google/complete?returnUrl=", complete.OriginalString, StringComparison.Ordinal);
        return await shop.GetAsync(complete);
    }

    /// <summary>
    /// Starts on the shop and goes through the provider's pages with a browser of its own (signing in as
    /// <paramref name="login"/> and consenting, or pressing Cancel) until the provider sends it back to the
    /// shop's callback; returns that callback URL, not yet followed.
    /// </summary>
    private async Task<Uri> AtTheProviderAsync(HttpClient shop, string login, string returnUrl, bool cancel = false)
    {
        var start = await shop.GetAsync($"/api/v1/auth/external/google?returnUrl={Uri.EscapeDataString(returnUrl)}");
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var authorize = start.Headers.Location!;
        Assert.StartsWith(host.Provider.AuthorizationEndpoint + "?", authorize.AbsoluteUri, StringComparison.Ordinal);
        Assert.Equal(OidcProvider.ClientId, AccountsHost.Query(authorize, "client_id"));
        Assert.Equal(Callback, AccountsHost.Query(authorize, "redirect_uri"));
        Assert.Equal("code", AccountsHost.Query(authorize, "response_type"));
        Assert.Equal("openid email profile", AccountsHost.Query(authorize, "scope"));
        Assert.Equal("S256", AccountsHost.Query(authorize, "code_challenge_method"));

        using var provider = OidcProvider.Browser();
        var response = await provider.GetAsync(authorize);
        for (var step = 0; ; step++)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(step < 12, $"The provider did not send the browser back to the shop: {(int)response.StatusCode} {body} {host.Provider.Errors}");
            var page = response.RequestMessage!.RequestUri!;
            if (response.StatusCode is HttpStatusCode.Found or HttpStatusCode.SeeOther)
            {
                var next = new Uri(page, response.Headers.Location!);
                if (next.AbsoluteUri.StartsWith(Callback + "?", StringComparison.Ordinal))
                {
                    return next;
                }
                Assert.StartsWith(host.Provider.Issuer + "/", next.AbsoluteUri, StringComparison.Ordinal);
                response = await provider.GetAsync(next);
            }
            else
            {
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"The provider answered {(int)response.StatusCode}: {body} {host.Provider.Errors}");
                if (cancel)
                {
                    var link = CancelLink().Match(body);
                    Assert.True(link.Success, $"No Cancel link on the provider's page: {body}");
                    response = await provider.GetAsync(new Uri(page, WebUtility.HtmlDecode(link.Groups["href"].Value)));
                }
                else
                {
                    response = await provider.SendAsync(SubmitForm(page, body, login));
                }
            }
        }
    }

    /// <summary>The provider's sign-in or consent form, filled in and submitted as a browser would.</summary>
    private static HttpRequestMessage SubmitForm(Uri page, string html, string login)
    {
        var form = FormTag().Match(html);
        Assert.True(form.Success, $"No form on the provider's page: {html}");
        Assert.Equal("post", form.Groups["method"].Value, ignoreCase: true);
        var fields = HiddenInput().Matches(html).ToDictionary(m => WebUtility.HtmlDecode(m.Groups["name"].Value), m => WebUtility.HtmlDecode(m.Groups["value"].Value));
        switch (fields.GetValueOrDefault("prompt"))
        {
            case "login":
                Assert.Contains("name=\"login\"", html, StringComparison.Ordinal);
                fields["login"] = login;
                fields["password"] = "any password will do";
                break;
            case "consent":
                break;
            default:
                Assert.Fail($"An unexpected form on the provider's page: {html}");
                break;
        }
        return new HttpRequestMessage(HttpMethod.Post, new Uri(page, WebUtility.HtmlDecode(form.Groups["action"].Value)))
        {
            Content = new FormUrlEncodedContent(fields),
        };
    }

    private async Task<List<string>> AuditAsync(Guid userId)
    {
        await using var conn = await host.Api.Db.OpenConnectionAsync();
        return (await conn.QueryAsync<string>(
            "select action from audit_log where entity_type = 'user' and entity_id = @id and action like 'auth.external%' order by id",
            new { id = userId.ToString() })).ToList();
    }

    [GeneratedRegex("<form[^>]*\\baction=\"(?<action>[^\"]+)\"[^>]*\\bmethod=\"(?<method>[^\"]+)\"", RegexOptions.IgnoreCase)]
    private static partial Regex FormTag();

    [GeneratedRegex("<a href=\"(?<href>[^\"]+)\">\\[ Cancel \\]</a>")]
    private static partial Regex CancelLink();

    [GeneratedRegex("<input[^>]*\\btype=\"hidden\"[^>]*\\bname=\"(?<name>[^\"]+)\"[^>]*\\bvalue=\"(?<value>[^\"]*)\"", RegexOptions.IgnoreCase)]
    private static partial Regex HiddenInput();
}
