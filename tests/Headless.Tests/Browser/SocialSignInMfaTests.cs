using System.Text.Json;
using System.Text.RegularExpressions;
using Headless.Api.Features.Accounts.Identity;
using Headless.Tests.Accounts;
using Headless.Tests.Accounts.Social;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Headless.Tests.Browser;

/// <summary>The shop with "Sign in with Google" pointed at the oidc-provider stand-in.</summary>
public sealed class SocialShop : LiveShop
{
    public OidcProvider Provider { get; private set; } = null!;

    protected override async Task BeforeStartAsync() => Provider = await OidcProvider.StartAsync();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Headless:Accounts:Google:ClientId", OidcProvider.BrowserClientId);
        builder.UseSetting("Headless:Accounts:Google:ClientSecret", OidcProvider.ClientSecret);
        builder.UseSetting("Headless:Accounts:Google:AuthorizationEndpoint", Provider.AuthorizationEndpoint);
        builder.UseSetting("Headless:Accounts:Google:TokenEndpoint", Provider.TokenEndpoint);
        builder.UseSetting("Headless:Accounts:Google:UserInformationEndpoint", Provider.UserInformationEndpoint);
    }

    protected override async ValueTask AfterStopAsync() => await Provider.DisposeAsync();

    /// <summary>A confirmed customer with an authenticator enrolled; returns its email and the authenticator's secret.</summary>
    public async Task<(string Email, string Secret)> CustomerWithMfaAsync()
    {
        var email = await CustomerAsync("a long passphrase for tests");
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<HeadlessUser>>();
        var user = (await users.FindByEmailAsync(email))!;
        await users.ResetAuthenticatorKeyAsync(user);
        var secret = (await users.GetAuthenticatorKeyAsync(user))!;
        Assert.True((await users.SetTwoFactorEnabledAsync(user, true)).Succeeded);
        return (email, secret);
    }
}

[CollectionDefinition(Name)]
public sealed class SocialShopCollection : ICollectionFixture<SocialShop>
{
    public const string Name = "browser-social";
}

/// <summary>A social sign-in that lands on an account with MFA: the browser is sent to the storefront's code
/// page, not shown a JSON 401, and the code entered there signs it in and goes on to where it was headed.</summary>
[Collection(SocialShopCollection.Name)]
public sealed class SocialSignInMfaTests(SocialShop shop)
{
    [Fact]
    public async Task A_google_sign_in_of_an_account_with_mfa_asks_for_the_code_on_the_account_page_and_then_signs_in()
    {
        var (email, secret) = await shop.CustomerWithMfaAsync();
        var errors = new List<string>();
        var page = await shop.NewPageAsync(errors);
        try
        {
            await page.GotoAsync("/api/v1/auth/external/google?returnUrl=%2Faccount%2F");
            // The provider's own development sign-in and consent pages.
            await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(shop.Provider.Issuer) + "/"));
            await page.Locator("input[name=login]").FillAsync("verified:" + email);
            await page.Locator("input[name=password]").FillAsync("any password will do");
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign-in" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();

            await Expect(page).ToHaveURLAsync(new Regex("/account/second-factor/\\?returnUrl=%2Faccount%2F$"));
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Enter your sign-in code" })).ToBeVisibleAsync();
            // What the provider stand-in's pages logged (their stylesheet from the internet) is not the shop's.
            errors.Clear();
            var failed = new List<string>();
            page.Response += (_, r) =>
            {
                if (r.Status >= 400)
                {
                    failed.Add($"{r.Status} {r.Request.Method} {new Uri(r.Url).PathAndQuery}");
                }
            };
            Assert.Empty(await AxeAsync(page));
            // Nothing is signed in yet.
            Assert.Equal(401, (await page.APIRequest.GetAsync("/api/v1/account")).Status);

            var code = page.GetByLabel("Code from your authenticator app");
            await Expect(code).ToBeFocusedAsync();
            await code.FillAsync(Totp.Code(secret, DateTimeOffset.UtcNow.AddMinutes(-10)));
            await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
            await Expect(page.Locator("[data-message]")).ToContainTextAsync("not accepted");

            await code.FillAsync(Totp.Next(secret));
            await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/account/$"));
            await Expect(page.Locator("[data-widget=account]")).ToContainTextAsync($"Signed in as Grace ({email})");
            Assert.Equal(200, (await page.APIRequest.GetAsync("/api/v1/account")).Status);
            // The shop's own failures: the wrong code, and the header asking for a cart this new customer does not have yet.
            Assert.Equal(["401 POST /api/v1/auth/login/second-factor", "404 GET /api/v1/carts/mine"], failed);
            Assert.Equal(2, errors.Count);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    private static async Task<List<string>> AxeAsync(IPage page)
    {
        await page.AddScriptTagAsync(new() { Path = LiveShop.AxeScript });
        var result = await page.EvaluateAsync<JsonElement>("async () => (await axe.run(document, { resultTypes: ['violations'] })).violations" +
            ".map(v => ({ id: v.id, impact: v.impact, help: v.help }))");
        return result.EnumerateArray()
            .Where(v => v.GetProperty("impact").GetString() is "serious" or "critical")
            .Select(v => $"{v.GetProperty("id").GetString()}: {v.GetProperty("help").GetString()}")
            .ToList();
    }
}
