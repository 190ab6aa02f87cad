using System.Net;
using System.Net.Http.Json;
using Headless.Contracts.Accounts;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Accounts;

public sealed class PasswordResetTests(AccountsHost host) : IClassFixture<AccountsHost>
{
    [Fact]
    public async Task A_forgotten_password_is_reset_from_the_email_once_and_every_session_ends()
    {
        var email = AccountsHost.NewEmail();
        await host.RegisterAndConfirmAsync(email);
        var before = await host.LoginAsync(email);

        var unknown = await host.Client().PostAsJsonAsync("/api/v1/auth/forgot-password", new ForgotPasswordRequest(AccountsHost.NewEmail()), Http.Json);
        var known = await host.Client().PostAsJsonAsync("/api/v1/auth/forgot-password", new ForgotPasswordRequest(email), Http.Json);
        Assert.Equal(HttpStatusCode.Accepted, known.StatusCode);
        Assert.Equal(await unknown.Content.ReadAsStringAsync(), await known.Content.ReadAsStringAsync());

        var link = AccountsHost.LinkIn(await host.MailAsync(email, "reset"), "/account/reset-password");
        var reset = new ResetPasswordRequest(AccountsHost.Query(link, "email"), AccountsHost.Query(link, "code"), "a brand new passphrase");
        Assert.Equal(HttpStatusCode.OK, (await host.Client().PostAsJsonAsync("/api/v1/auth/reset-password", reset, Http.Json)).StatusCode);

        await (await host.Client().PostAsJsonAsync("/api/v1/auth/reset-password", reset with { NewPassword = "yet another passphrase" }, Http.Json))
            .ProblemAsync(HttpStatusCode.BadRequest);
        await (await host.LoginRawAsync(email)).ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await host.LoginRawAsync(email, "a brand new passphrase")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client(before.AccessToken).GetAsync("/api/v1/account")).StatusCode);
        await (await host.Client().PostAsJsonAsync("/api/v1/auth/refresh", new RefreshRequest(before.RefreshToken), Http.Json)).ProblemAsync(HttpStatusCode.Unauthorized);
        await host.MailAsync(email, "password was changed");
    }

    [Fact]
    public async Task Nobody_gets_a_reset_mail_for_an_unknown_address()
    {
        var stranger = AccountsHost.NewEmail();
        var known = AccountsHost.NewEmail();
        await host.RegisterAndConfirmAsync(known);
        await host.Client().PostAsJsonAsync("/api/v1/auth/forgot-password", new ForgotPasswordRequest(stranger), Http.Json);
        await host.Client().PostAsJsonAsync("/api/v1/auth/forgot-password", new ForgotPasswordRequest(known), Http.Json);

        // Mail is sent in order; once the later one arrived, the earlier one would have too.
        await host.MailAsync(known, "reset");
        Assert.DoesNotContain(host.Smtp.Received(), m => m.To.Contains(stranger, StringComparer.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Changing_the_password_keeps_this_device_and_signs_out_the_others()
    {
        var email = AccountsHost.NewEmail();
        await host.RegisterAndConfirmAsync(email);
        var other = await host.LoginAsync(email);
        var current = await host.LoginAsync(email);
        var client = host.Client(current.AccessToken);

        var wrong = await client.PostAsJsonAsync("/api/v1/account/password", new ChangePasswordRequest("not it at all", "new passphrase here"), Http.Json);
        Assert.Contains("currentPassword", (await wrong.ProblemAsync(HttpStatusCode.BadRequest)).FieldErrors());
        var changed = await client.PostAsJsonAsync("/api/v1/account/password", new ChangePasswordRequest(AccountsHost.Password, "new passphrase here"), Http.Json);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/account")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client(other.AccessToken).GetAsync("/api/v1/account")).StatusCode);
    }
}
