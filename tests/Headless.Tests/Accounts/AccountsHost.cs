using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Headless.Api.Features.Accounts.Identity;
using Headless.Contracts.Accounts;
using Headless.Tests.Email;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Headless.Tests.Accounts;

/// <summary>The API on its own database, sending mail to a real SMTP server on 127.0.0.1.</summary>
public class AccountsHost : IAsyncLifetime
{
    public SmtpSink Smtp { get; private set; } = null!;
    public EmailHostFactory Api { get; private set; } = null!;

    protected virtual void Configure(Dictionary<string, string?> settings)
    {
        settings["Headless:Accounts:LoginPerMinute"] = "10000";
        settings["Headless:Accounts:RegisterPerMinute"] = "10000";
        settings["Headless:Accounts:ForgotPasswordPerMinute"] = "10000";
        settings["Headless:Accounts:PublicBaseUrl"] = "https://shop.test";
    }

    public virtual async Task InitializeAsync()
    {
        Smtp = await SmtpSink.StartAsync();
        Api = new EmailHostFactory().UseSmtp(Smtp.Port);
        Configure(Api.Settings);
        await Api.InitializeAsync();
    }

    public virtual async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        await Smtp.DisposeAsync();
    }

    public HttpClient Client(string? accessToken = null)
    {
        var client = Api.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions
        {
            BaseAddress = new Uri("https://localhost"),
            AllowAutoRedirect = false,
            HandleCookies = true,
        });
        if (accessToken is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }
        return client;
    }

    public static string NewEmail() => $"shopper-{Guid.NewGuid():N}@example.test";

    public const string Password = "correct horse battery";

    public Task<ReceivedMail> MailAsync(string to, string subjectContains) =>
        Smtp.WaitForMailAsync(m => m.To.Contains(to, StringComparer.OrdinalIgnoreCase) && m.Subject.Contains(subjectContains, StringComparison.OrdinalIgnoreCase),
            TimeSpan.FromSeconds(15));

    /// <summary>The link from an email, as the shopper would click it.</summary>
    public static Uri LinkIn(ReceivedMail mail, string path)
    {
        var match = Regex.Match(mail.Text, $@"https://shop\.test{Regex.Escape(path)}\?[^\s]+");
        Assert.True(match.Success, $"no {path} link in: {mail.Text}");
        Assert.Contains($"href=\"{match.Value}\"", WebUtility.HtmlDecode(mail.Html));
        return new Uri(match.Value);
    }

    public static string Query(Uri link, string name) =>
        Uri.UnescapeDataString(link.Query.TrimStart('?').Split('&').Select(p => p.Split('=', 2)).Single(p => p[0] == name)[1]);

    public async Task<Guid> RegisterAndConfirmAsync(string email, string password = Password)
    {
        var client = Client();
        var registered = await client.PostAsJsonAsync("/api/v1/auth/register", new RegisterRequest(email, password, "Ada", "Lovelace", true), Http.Json);
        Assert.Equal(HttpStatusCode.Accepted, registered.StatusCode);
        var link = LinkIn(await MailAsync(email, "confirm"), "/account/confirm-email");
        var userId = Guid.Parse(Query(link, "userId"));
        var confirmed = await client.PostAsJsonAsync("/api/v1/auth/confirm-email", new ConfirmEmailRequest(userId, Query(link, "code")), Http.Json);
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        return userId;
    }

    public async Task<HttpResponseMessage> LoginRawAsync(string email, string password = Password, string? code = null, string? recovery = null, bool cookies = false, HttpClient? client = null) =>
        await (client ?? Client()).PostAsJsonAsync("/api/v1/auth/login", new LoginRequest(email, password, code, recovery, cookies), Http.Json);

    public async Task<AuthResponse> LoginAsync(string email, string password = Password, string? code = null) =>
        await (await LoginRawAsync(email, password, code)).ReadAsync<AuthResponse>();

    /// <summary>A confirmed user with the given roles, made directly through Identity (as staff onboarding would).</summary>
    public async Task<HeadlessUser> CreateUserAsync(string email, params string[] roles)
    {
        await using var scope = Api.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<HeadlessUser>>();
        var user = new HeadlessUser { Email = email, EmailConfirmed = true, FirstName = "Sam", LastName = "Staff" };
        var result = await users.CreateAsync(user, Password);
        Assert.True(result.Succeeded, string.Join(" ", result.Errors.Select(e => e.Description)));
        foreach (var role in roles)
        {
            await users.AddToRoleAsync(user, role);
        }
        return user;
    }

    /// <summary>Signs <paramref name="email"/> in with the password, turns MFA on, and signs in again with the
    /// next code (the enrolment spent the current one): a client whose session passed the second factor.</summary>
    public async Task<(HttpClient Client, string Secret, IReadOnlyList<string> RecoveryCodes)> SignInWithMfaAsync(string email, string password = Password)
    {
        var (secret, recovery) = await EnableMfaAsync(Client((await LoginAsync(email, password)).AccessToken));
        return (Client((await LoginAsync(email, password, Totp.Next(secret))).AccessToken), secret, recovery);
    }

    /// <summary>A new admin (and staff) user signed in with MFA, as the tests' acting admin for what API keys may not do.</summary>
    public async Task<(HttpClient Client, HeadlessUser User)> MfaAdminAsync()
    {
        var email = NewEmail();
        var user = await CreateUserAsync(email, AccountRoles.Admin, AccountRoles.Staff);
        return ((await SignInWithMfaAsync(email)).Client, user);
    }

    /// <summary>Turns MFA on through the API and returns the shared secret and the recovery codes.</summary>
    public async Task<(string Secret, IReadOnlyList<string> RecoveryCodes)> EnableMfaAsync(HttpClient signedIn)
    {
        var setup = await (await signedIn.PostAsync("/api/v1/account/mfa/authenticator", null)).ReadAsync<AuthenticatorSetup>();
        Assert.StartsWith("otpauth://totp/", setup.OtpauthUri);
        Assert.Contains("secret=" + setup.SharedKey, setup.OtpauthUri);
        var codes = await (await signedIn.PostAsJsonAsync("/api/v1/account/mfa/authenticator/verify",
            new VerifyAuthenticatorRequest(Totp.Code(setup.SharedKey)), Http.Json)).ReadAsync<RecoveryCodes>();
        return (setup.SharedKey, codes.Codes);
    }
}

/// <summary>RFC 6238 codes, computed independently of ASP.NET Core Identity, as an authenticator app would.</summary>
public static class Totp
{
    /// <summary>The code of the next 30-second step: accepted now (one step of clock drift is allowed),
    /// and not yet spent by a code of the current step.</summary>
    public static string Next(string base32Secret) => Code(base32Secret, DateTimeOffset.UtcNow.AddSeconds(30));

    public static string Code(string base32Secret, DateTimeOffset? at = null)
    {
        var key = Base32(base32Secret);
        var counter = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds() / 30;
        var message = BitConverter.GetBytes(counter);
        if (BitConverter.IsLittleEndian)
        {
            Array.Reverse(message);
        }
        var hash = HMACSHA1.HashData(key, message);
        var offset = hash[^1] & 0x0f;
        var binary = ((hash[offset] & 0x7f) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        return (binary % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static byte[] Base32(string input)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bits = string.Concat(input.TrimEnd('=').ToUpperInvariant().Select(c => Convert.ToString(alphabet.IndexOf(c), 2).PadLeft(5, '0')));
        return Enumerable.Range(0, bits.Length / 8).Select(i => Convert.ToByte(bits.Substring(i * 8, 8), 2)).ToArray();
    }
}
