using System.Text.Json;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Hosting;
using Headless.Storefront;
using Headless.Tests.Accounts;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Headless.Tests.AdminUi;

/// <summary>
/// The admin dashboard as staff see it: the API on Kestrel at a real 127.0.0.1 port with the demo catalog,
/// serving the bundle `./build.sh admin` built (admin/dist), and one headless Debian chromium. Each test
/// makes its own staff member (an authenticator code is accepted once, so two tests must not share one)
/// and signs in through the screens in a fresh browser context.
/// </summary>
public sealed class AdminBrowser : ApiFactory, IAsyncLifetime
{
    public const string Password = "correct horse battery";

    private IPlaywright _playwright = null!;

    public AdminBrowser() => UseKestrel(0);

    /// <summary>http://127.0.0.1:port, no trailing slash.</summary>
    public string BaseUrl { get; private set; } = "";

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where the API's mail goes: its contents live only in the recipient's vault until sent (issue 15), so the
    /// tests read mail as its recipient would.</summary>
    public Email.SmtpSink Smtp { get; private set; } = null!;

    protected override bool LoadDemoCatalog => true;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Headless:Accounts:LoginPerMinute", "10000");
        builder.UseSetting("Headless:Email:Smtp:Host", "127.0.0.1");
        builder.UseSetting("Headless:Email:Smtp:Port", Smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public new async Task InitializeAsync()
    {
        var index = Path.Combine(AdminApp.Directory(new ConfigurationBuilder().Build()), "index.html");
        if (!File.Exists(index))
        {
            throw new InvalidOperationException($"The admin bundle is missing ({index}): run `./build.sh admin` (`./build.sh test` does it) before the admin browser tests.");
        }
        Smtp = await Email.SmtpSink.StartAsync();
        await base.InitializeAsync();
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = new Uri(address).GetLeftPart(UriPartial.Authority).Replace("[::1]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public sealed record Staff(Guid Id, string Email, string AuthenticatorKey);

    /// <summary>A confirmed user with <paramref name="roles"/> (staff and admin by default) and an authenticator
    /// whose key the test knows, made through Identity as staff onboarding would.</summary>
    public async Task<Staff> StaffAsync(params string[] roles)
    {
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<HeadlessUser>>();
        var email = $"staff-{Guid.NewGuid():N}@example.test";
        var user = new HeadlessUser { Email = email, EmailConfirmed = true, FirstName = "Sam", LastName = "Staff" };
        var created = await users.CreateAsync(user, Password);
        Assert.True(created.Succeeded, string.Join(" ", created.Errors.Select(e => e.Description)));
        foreach (var role in roles.Length == 0 ? [AccountRoles.Staff, AccountRoles.Admin] : roles)
        {
            await users.AddToRoleAsync(user, role);
        }
        await users.ResetAuthenticatorKeyAsync(user);
        var key = await users.GetAuthenticatorKeyAsync(user);
        await users.SetTwoFactorEnabledAsync(user, true);
        return new Staff(user.Id, email, key!);
    }

    /// <summary>An admin as `create-admin` (or the first Development start) makes one: a one-time password
    /// to change at first sign-in, no authenticator yet.</summary>
    public async Task<string> FirstRunAdminAsync()
    {
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<HeadlessUser>>();
        var email = $"first-{Guid.NewGuid():N}@example.test";
        var user = new HeadlessUser { Email = email, EmailConfirmed = true, MustChangePassword = true };
        var created = await users.CreateAsync(user, Password);
        Assert.True(created.Succeeded, string.Join(" ", created.Errors.Select(e => e.Description)));
        await users.AddToRolesAsync(user, [AccountRoles.Staff, AccountRoles.Admin]);
        return email;
    }

    /// <summary>A page in a fresh context; everything the page logs as an error lands in <paramref name="errors"/>.</summary>
    public async Task<IPage> NewPageAsync(List<string>? errors = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseUrl, ReducedMotion = ReducedMotion.Reduce });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(20_000);
        if (errors is not null)
        {
            page.PageError += (_, e) => errors.Add("page error: " + e);
            page.Console += (_, m) =>
            {
                if (m.Type == "error")
                {
                    errors.Add("console: " + m.Text);
                }
            };
        }
        return page;
    }

    /// <summary>Signs in through the sign-in screen: email and password, then the authenticator's code.</summary>
    public async Task SignInAsync(IPage page, Staff staff)
    {
        await SignInWithoutWaitingAsync(page, staff);
        await page.Locator(".RaSidebar-fixed").WaitForAsync();
    }

    /// <summary>The same steps, for a sign-in the test expects to be refused.</summary>
    public async Task SignInWithoutWaitingAsync(IPage page, Staff staff)
    {
        await page.GotoAsync("/admin/");
        await page.GetByLabel("Email").FillAsync(staff.Email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.GetByLabel("Authenticator code").FillAsync(Totp.Next(staff.AuthenticatorKey));
        await page.GetByRole(AriaRole.Button, new() { Name = "Verify code" }).ClickAsync();
    }

    /// <summary>axe-core (npm, injected into the page) finds no serious or critical violation.</summary>
    public static async Task AssertNoSeriousAxeViolationsAsync(IPage page, string name)
    {
        if (!await page.EvaluateAsync<bool>("() => typeof window.axe === 'object'"))
        {
            // A script tag from the test, not the app: the page's CSP would refuse an inline one, so pass its source.
            await page.EvaluateAsync(await File.ReadAllTextAsync(Path.Combine(RepoRoot.Path, "node_modules", "axe-core", "axe.min.js")));
        }
        var result = await page.EvaluateAsync<JsonElement>("async () => (await axe.run(document, { resultTypes: ['violations'] })).violations" +
            ".map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) }))");
        var serious = result.EnumerateArray()
            .Where(v => v.GetProperty("impact").GetString() is "serious" or "critical")
            .Select(v => $"{name}: {v.GetProperty("id").GetString()} ({v.GetProperty("impact").GetString()}) {v.GetProperty("help").GetString()} at {v.GetProperty("nodes")}")
            .ToList();
        Assert.True(serious.Count == 0, string.Join("\n", serious));
    }

    public new async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
        await base.DisposeAsync();
        if (Smtp is not null)
        {
            await Smtp.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AdminBrowserCollection : ICollectionFixture<AdminBrowser>
{
    public const string Name = "admin-browser";
}
