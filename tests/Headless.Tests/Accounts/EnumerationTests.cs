using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Headless.Api.Features.Accounts.Identity;
using Headless.Contracts.Accounts;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Headless.Tests.Accounts;

/// <summary>Identity's password hasher, counting how often a password is checked against a hash.</summary>
public sealed class CountingPasswordHasher : IPasswordHasher<HeadlessUser>
{
    private readonly PasswordHasher<HeadlessUser> _real = new();
    private int _verifications;

    public int Verifications => Volatile.Read(ref _verifications);

    public string HashPassword(HeadlessUser user, string password) => _real.HashPassword(user, password);

    public PasswordVerificationResult VerifyHashedPassword(HeadlessUser user, string hashedPassword, string providedPassword)
    {
        Interlocked.Increment(ref _verifications);
        return _real.VerifyHashedPassword(user, hashedPassword, providedPassword);
    }
}

/// <summary>
/// Whether an address is registered must not show in what sign-in, registration and the email flows
/// answer, nor in how long sign-in takes: every refused sign-in checks a password against a hash once.
/// The time is not measured (that would be flaky on a shared machine); the hasher's work is counted.
/// </summary>
public sealed class EnumerationTests(AccountsHost host) : IClassFixture<AccountsHost>
{
    private const string WrongPassword = "wrong password 123";

    /// <summary>An account that only signs in with Google: it has no password hash at all.</summary>
    private async Task<string> PasswordlessAccountAsync()
    {
        var email = AccountsHost.NewEmail();
        await using var scope = host.Api.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<HeadlessUser>>();
        Assert.True((await users.CreateAsync(new HeadlessUser { Email = email, EmailConfirmed = true })).Succeeded);
        return email;
    }

    private async Task<string> UnconfirmedAccountAsync()
    {
        var email = AccountsHost.NewEmail();
        var registered = await host.Client().PostAsJsonAsync("/api/v1/auth/register", new RegisterRequest(email, AccountsHost.Password, null, null, null), Http.Json);
        Assert.Equal(HttpStatusCode.Accepted, registered.StatusCode);
        return email;
    }

    private async Task<string> LockedOutAccountAsync()
    {
        var email = AccountsHost.NewEmail();
        await host.CreateUserAsync(email, "customer");
        for (var i = 0; i < 5; i++)
        {
            await host.LoginRawAsync(email, WrongPassword);
        }
        return email;
    }

    private static async Task<JsonObject> WithoutTraceAsync(HttpResponseMessage response)
    {
        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized);
        problem.Remove("traceId");
        return problem;
    }

    [Fact]
    public async Task A_wrong_password_answers_exactly_like_an_unknown_address_even_on_an_unconfirmed_account()
    {
        var confirmed = AccountsHost.NewEmail();
        await host.RegisterAndConfirmAsync(confirmed);
        var unconfirmed = await UnconfirmedAccountAsync();
        var passwordless = await PasswordlessAccountAsync();
        var locked = await LockedOutAccountAsync();

        var unknown = await WithoutTraceAsync(await host.LoginRawAsync(AccountsHost.NewEmail(), WrongPassword));
        foreach (var email in new[] { confirmed, unconfirmed, passwordless, locked })
        {
            var answer = await WithoutTraceAsync(await host.LoginRawAsync(email, WrongPassword));
            Assert.Equal(unknown.ToJsonString(), answer.ToJsonString());
        }
        Assert.Equal("https://headless.dev/problems/login-failed", unknown["type"]!.GetValue<string>());

        // Only the right password learns that the address still has to be confirmed.
        var right = await host.LoginRawAsync(unconfirmed);
        Assert.Equal("https://headless.dev/problems/email-not-confirmed", (await right.ProblemAsync(HttpStatusCode.Forbidden))["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Every_refused_sign_in_checks_a_password_against_a_hash_once_so_it_takes_as_long()
    {
        var hasher = new CountingPasswordHasher();
        var counted = host.Api.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<IPasswordHasher<HeadlessUser>>(hasher)));
        var confirmed = AccountsHost.NewEmail();
        await host.RegisterAndConfirmAsync(confirmed);
        var cases = new Dictionary<string, string>
        {
            ["unknown address"] = AccountsHost.NewEmail(),
            ["wrong password"] = confirmed,
            ["unconfirmed account"] = await UnconfirmedAccountAsync(),
            ["account without a password"] = await PasswordlessAccountAsync(),
            ["locked-out account"] = await LockedOutAccountAsync(),
        };
        var client = counted.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost") });

        var wrong = new List<string>();
        foreach (var (name, email) in cases)
        {
            var before = hasher.Verifications;
            var response = await client.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest(email, WrongPassword, null, null, null), Http.Json);
            var checks = hasher.Verifications - before;
            if (response.StatusCode != HttpStatusCode.Unauthorized || checks != 1)
            {
                wrong.Add($"{name}: {(int)response.StatusCode}, {checks} password checks");
            }
        }
        Assert.Empty(wrong);
    }

    [Fact]
    public async Task Register_forgot_password_and_resend_confirmation_answer_the_same_for_known_and_unknown_addresses()
    {
        var confirmed = AccountsHost.NewEmail();
        await host.RegisterAndConfirmAsync(confirmed);
        var unconfirmed = await UnconfirmedAccountAsync();
        var addresses = new[] { confirmed, unconfirmed, AccountsHost.NewEmail() };

        foreach (var (path, body) in new (string, Func<string, object>)[]
        {
            ("/api/v1/auth/forgot-password", e => new ForgotPasswordRequest(e)),
            ("/api/v1/auth/resend-confirmation", e => new ResendConfirmationRequest(e)),
            ("/api/v1/auth/register", e => new RegisterRequest(e, "another long passphrase", null, null, null)),
        })
        {
            var answers = new List<string>();
            foreach (var email in addresses)
            {
                var response = await host.Client().PostAsJsonAsync(path, body(email), Http.Json);
                answers.Add($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
            Assert.True(answers.Distinct().Count() == 1, $"{path} answered differently: {string.Join(" | ", answers)}");
            Assert.StartsWith("202 ", answers[0]);
        }
    }
}
