using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Headless.Api.Features.Email;
using Headless.Contracts.Accounts;
using Headless.Storefront;
using Headless.Storefront.Rendering;
using Headless.Tests.Email;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Platform;

/// <summary>The built-in test payment provider runs outside Development only when named on purpose, and then
/// the shop's pages and emails say TEST MODE.</summary>
public sealed class TestModeTests
{
    private static string CheckoutPage(bool testMode) =>
        Theme.Load(new StorefrontOptions().ThemeDirectory).Render("checkout",
            new PageVm { Title = "Checkout", Url = "/checkout/", NoIndex = true, BodyClass = "checkout" }, new { },
            new SiteVm
            {
                Name = "Shop",
                BaseUrl = "https://shop.example",
                Css = "/assets/site.css",
                Nav = [],
                Scripts = new Dictionary<string, string>(),
                Year = "2026",
                TestMode = testMode,
            });

    [Fact]
    public void Storefront_pages_say_test_mode_only_when_payments_are_test_payments()
    {
        Assert.Contains("TEST MODE", CheckoutPage(testMode: true));
        Assert.DoesNotContain("TEST MODE", CheckoutPage(testMode: false));
    }

    [Fact]
    public void Emails_say_test_mode_in_text_and_html_only_when_payments_are_test_payments()
    {
        var model = new JsonObject { ["name"] = "Ada", ["link"] = "https://shop.test/account/confirm-email?userId=1&code=2" };
        var test = EmailTemplates.Render("confirm-email", model, "Shop", testMode: true);
        Assert.StartsWith("TEST MODE", test.Text);
        Assert.Contains("TEST MODE", test.Html);
        var real = EmailTemplates.Render("confirm-email", model, "Shop");
        Assert.DoesNotContain("TEST MODE", real.Text + real.Html);
    }

    [Fact]
    public async Task Production_runs_the_test_provider_only_when_named_and_then_its_mail_says_test_mode()
    {
        await using var smtp = await SmtpSink.StartAsync();
        var settings = await Configured.AllAsync();
        // Mail is kept in the recipient's vault until sent (issue 15): this run needs a vault that answers.
        var vault = await TestDatabase.CreateEmptyAsync();
        settings["Headless__Residency__Regions__eu__ConnectionString"] = vault.App;
        settings["Headless__Residency__Regions__eu__MigrationConnectionString"] = vault.Owner;
        foreach (var stripe in settings.Keys.Where(k => k.StartsWith("Headless__Payments__Stripe__", StringComparison.Ordinal)).ToList())
        {
            settings.Remove(stripe);
        }
        settings["Headless__Email__Smtp__Port"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Headless__Payments__Provider"] = "test";
        var port = ApiBinary.FreePort();
        settings["Urls"] = $"http://127.0.0.1:{port}";
        await using var api = ApiBinary.Start(settings);
        var baseAddress = new Uri($"http://127.0.0.1:{port}");
        await api.WaitUntilReadyAsync(baseAddress);
        Assert.Contains("TEST MODE", api.Stderr);

        using var http = new HttpClient { BaseAddress = baseAddress };
        var email = $"tester-{Guid.NewGuid():N}@example.test";
        var registered = await http.PostAsJsonAsync("/api/v1/auth/register", new RegisterRequest(email, "a long passphrase", "Ada", null, true), Http.Json);
        Assert.Equal(HttpStatusCode.Accepted, registered.StatusCode);
        var mail = await smtp.WaitForMailAsync(m => m.To.Contains(email), TimeSpan.FromSeconds(30));
        Assert.StartsWith("TEST MODE", mail.Text);
        Assert.Contains("TEST MODE", mail.Html);
    }
}
