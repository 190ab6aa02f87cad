using System.Net;
using System.Net.Http.Json;
using Dapper;
using Headless.Contracts.Accounts;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Accounts;

/// <summary>An authenticator code works once, and no sign-in path (password, refresh) skips the second factor.</summary>
public sealed class SecondFactorTests(AccountsHost host) : IClassFixture<AccountsHost>
{
    private async Task<(string Email, Guid UserId, string Secret, IReadOnlyList<string> Recovery)> WithMfaAsync()
    {
        var email = AccountsHost.NewEmail();
        var userId = await host.RegisterAndConfirmAsync(email);
        var (secret, recovery) = await host.EnableMfaAsync(host.Client((await host.LoginAsync(email)).AccessToken));
        return (email, userId, secret, recovery);
    }

    private static async Task<string> ProblemTypeAsync(HttpResponseMessage response, HttpStatusCode status) =>
        (await response.ProblemAsync(status))["type"]!.GetValue<string>();

    [Fact]
    public async Task An_authenticator_code_signs_in_once_and_its_replay_inside_the_window_is_refused()
    {
        var email = AccountsHost.NewEmail();
        var userId = await host.RegisterAndConfirmAsync(email);
        var client = host.Client((await host.LoginAsync(email)).AccessToken);
        var secret = (await (await client.PostAsync("/api/v1/account/mfa/authenticator", null)).ReadAsync<AuthenticatorSetup>()).SharedKey;
        var enrolmentCode = Totp.Code(secret);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/v1/account/mfa/authenticator/verify", new VerifyAuthenticatorRequest(enrolmentCode), Http.Json)).StatusCode);

        // The code that turned MFA on was spent by doing so.
        Assert.Equal("https://headless.dev/problems/mfa-failed", await ProblemTypeAsync(await host.LoginRawAsync(email, code: enrolmentCode), HttpStatusCode.Unauthorized));

        var code = Totp.Next(secret);
        Assert.Equal(HttpStatusCode.OK, (await host.LoginRawAsync(email, code: code)).StatusCode);
        Assert.Equal("https://headless.dev/problems/mfa-failed", await ProblemTypeAsync(await host.LoginRawAsync(email, code: code), HttpStatusCode.Unauthorized));

        await using var conn = await host.Api.Db.OpenConnectionAsync();
        var step = await conn.ExecuteScalarAsync<long>("select totp_last_step from users where id = @userId", new { userId });
        var nextStep = DateTimeOffset.UtcNow.AddSeconds(30).ToUnixTimeSeconds() / 30;
        Assert.InRange(step, nextStep - 1, nextStep);
        Assert.Contains("auth.mfa-failed", await conn.QueryAsync<string>("select action from audit_log where entity_id = @id", new { id = userId.ToString() }));
    }

    [Fact]
    public async Task Two_sign_ins_racing_with_the_same_code_let_exactly_one_in()
    {
        for (var round = 0; round < 3; round++)
        {
            var (email, _, secret, recovery) = await WithMfaAsync();
            var code = Totp.Next(secret);
            var both = await Task.WhenAll(host.LoginRawAsync(email, code: code), host.LoginRawAsync(email, code: code));
            Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Unauthorized], both.Select(r => r.StatusCode).Order());

            // Recovery codes were one-time before (the row's concurrency stamp); racing them is the same.
            var withRecovery = await Task.WhenAll(host.LoginRawAsync(email, recovery: recovery[0]), host.LoginRawAsync(email, recovery: recovery[0]));
            Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Unauthorized], withRecovery.Select(r => r.StatusCode).Order());
        }
    }

    [Fact]
    public async Task A_refresh_token_from_before_mfa_was_turned_on_does_not_refresh_into_a_session()
    {
        var email = AccountsHost.NewEmail();
        await host.RegisterAndConfirmAsync(email);
        var passwordOnly = await host.LoginAsync(email);
        var (secret, _) = await host.EnableMfaAsync(host.Client(passwordOnly.AccessToken));

        var refused = await host.Client().PostAsJsonAsync("/api/v1/auth/refresh", new RefreshRequest(passwordOnly.RefreshToken), Http.Json);
        Assert.Equal("https://headless.dev/problems/mfa-required", await ProblemTypeAsync(refused, HttpStatusCode.Unauthorized));
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client(passwordOnly.AccessToken).GetAsync("/api/v1/account")).StatusCode);

        var withMfa = await host.LoginAsync(email, code: Totp.Next(secret));
        var refreshed = await (await host.Client().PostAsJsonAsync("/api/v1/auth/refresh", new RefreshRequest(withMfa.RefreshToken), Http.Json)).ReadAsync<AuthResponse>();
        Assert.Equal(HttpStatusCode.OK, (await host.Client(refreshed.AccessToken).GetAsync("/api/v1/account")).StatusCode);
    }
}
