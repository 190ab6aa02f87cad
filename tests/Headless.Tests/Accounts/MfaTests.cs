using System.Net;
using System.Net.Http.Json;
using Dapper;
using Headless.Contracts.Accounts;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Accounts;

public sealed class MfaTests(AccountsHost host) : IClassFixture<AccountsHost>
{
    [Fact]
    public async Task Turning_mfa_on_ends_the_accounts_other_sessions_and_keeps_the_one_that_did_it()
    {
        var email = AccountsHost.NewEmail();
        await host.RegisterAndConfirmAsync(email);
        var here = host.Client((await host.LoginAsync(email)).AccessToken);
        var elsewhere = await host.LoginAsync(email);
        var other = host.Client(elsewhere.AccessToken);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/api/v1/account")).StatusCode);

        await host.EnableMfaAsync(here);

        Assert.Equal(HttpStatusCode.OK, (await here.GetAsync("/api/v1/account")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await other.GetAsync("/api/v1/account")).StatusCode);
        var refresh = await host.Client().PostAsJsonAsync("/api/v1/auth/refresh", new RefreshRequest(elsewhere.RefreshToken), Http.Json);
        await refresh.ProblemAsync(HttpStatusCode.Unauthorized);
        await using var conn = await host.Api.Db.OpenConnectionAsync();
        Assert.Equal(1, await conn.ExecuteScalarAsync<int>(
            "select count(*) from sessions s where s.user_id = @userId and s.revoked_reason = 'mfa enabled'",
            new { userId = await VaultPeople.UserIdAsync(host.Api.Services, host.Api.Db, email) }));
    }

    [Fact]
    public async Task With_mfa_on_sign_in_needs_a_current_code_or_a_recovery_code_that_works_once()
    {
        var email = AccountsHost.NewEmail();
        var userId = await host.RegisterAndConfirmAsync(email);
        var client = host.Client((await host.LoginAsync(email)).AccessToken);
        var (secret, recovery) = await host.EnableMfaAsync(client);
        Assert.Equal(10, recovery.Count);
        await host.MailAsync(email, "verification is on");

        var noCode = await host.LoginRawAsync(email);
        Assert.Equal("https://headless.dev/problems/mfa-required", (await noCode.ProblemAsync(HttpStatusCode.Unauthorized))["type"]!.GetValue<string>());
        var wrongCode = await host.LoginRawAsync(email, code: Totp.Code(secret, DateTimeOffset.UtcNow.AddMinutes(-10)));
        await wrongCode.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await host.LoginRawAsync(email, code: Totp.Next(secret))).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await host.LoginRawAsync(email, recovery: recovery[0])).StatusCode);
        await (await host.LoginRawAsync(email, recovery: recovery[0])).ProblemAsync(HttpStatusCode.Unauthorized);
        var status = await (await client.GetAsync("/api/v1/account/mfa")).ReadAsync<MfaStatus>();
        Assert.True(status.Enabled);
        Assert.Equal(9, status.RecoveryCodesLeft);

        await using var conn = await host.Api.Db.OpenConnectionAsync();
        var stored = await conn.QuerySingleAsync<(string Key, string[] Codes)>("select authenticator_key, recovery_code_hashes from users where id = @userId", new { userId });
        Assert.DoesNotContain(secret, stored.Key);
        Assert.DoesNotContain(recovery[1], stored.Codes);
        var audit = (await conn.QueryAsync<string>("select action from audit_log where entity_id = @id", new { id = userId.ToString() })).ToList();
        Assert.Contains("mfa.enabled", audit);
        Assert.Contains("auth.mfa-failed", audit);
    }

    [Fact]
    public async Task Turning_mfa_off_needs_the_password_and_is_announced_by_email()
    {
        var email = AccountsHost.NewEmail();
        await host.RegisterAndConfirmAsync(email);
        var client = host.Client((await host.LoginAsync(email)).AccessToken);
        await host.EnableMfaAsync(client);

        var wrong = await client.PostAsJsonAsync("/api/v1/account/mfa/disable", new ReauthenticateRequest("not my password"), Http.Json);
        Assert.Contains("password", (await wrong.ProblemAsync(HttpStatusCode.BadRequest)).FieldErrors());
        Assert.True((await (await client.GetAsync("/api/v1/account/mfa")).ReadAsync<MfaStatus>()).Enabled);

        var off = await (await client.PostAsJsonAsync("/api/v1/account/mfa/disable", new ReauthenticateRequest(AccountsHost.Password), Http.Json)).ReadAsync<MfaStatus>();
        Assert.False(off.Enabled);
        Assert.Equal(0, off.RecoveryCodesLeft);
        await host.MailAsync(email, "verification is off");
        Assert.Equal(HttpStatusCode.OK, (await host.LoginRawAsync(email)).StatusCode);
    }

    [Fact]
    public async Task A_wrong_enrolment_code_leaves_mfa_off()
    {
        var email = AccountsHost.NewEmail();
        await host.RegisterAndConfirmAsync(email);
        var client = host.Client((await host.LoginAsync(email)).AccessToken);
        await client.PostAsync("/api/v1/account/mfa/authenticator", null);
        var verify = await client.PostAsJsonAsync("/api/v1/account/mfa/authenticator/verify", new VerifyAuthenticatorRequest("000000"), Http.Json);
        Assert.Contains("code", (await verify.ProblemAsync(HttpStatusCode.BadRequest)).FieldErrors());
        Assert.False((await (await client.GetAsync("/api/v1/account/mfa")).ReadAsync<MfaStatus>()).Enabled);
    }
}
