using System.Net;
using System.Net.Http.Json;
using Headless.Contracts.Admin;
using Headless.Tests.Email;
using Headless.Tests.Infrastructure;
using Headless.Tests.Webhooks;
using Microsoft.Playwright;

namespace Headless.Tests.AdminUi;

/// <summary>The webhooks screen against a real receiver on 127.0.0.1: subscribe with the keyboard only, the
/// signing secret shown once, a product created elsewhere shows up as a succeeded delivery in the log; a
/// receiver answering 429 (retry in an hour) leaves the delivery pending until staff retry it from the
/// screen; axe on the list and on the delivery log.</summary>
[Collection(AdminBrowserCollection.Name)]
public sealed class WebhookScreenTests(AdminBrowser admin)
{
    [Fact]
    public async Task Subscribe_see_the_secret_once_watch_deliveries_and_retry_a_held_back_one()
    {
        await using var receiver = await GatedReceiver.StartAsync(26402);
        var errors = new List<string>();
        var staff = await admin.StaffAsync();
        var page = await admin.NewPageAsync(errors);
        await admin.SignInAsync(page, staff);

        // Keyboard only: New endpoint, URL, one event type, create.
        await page.GotoAsync("/admin/webhook-endpoints");
        await page.GetByRole(AriaRole.Link, new() { Name = "New endpoint" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await page.GetByLabel("URL").FocusAsync();
        await page.Keyboard.TypeAsync(receiver.Url);
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "product.created" }).FocusAsync();
        await page.Keyboard.PressAsync("Space");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create endpoint" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");

        var secretField = page.GetByRole(AriaRole.Textbox, new() { Name = "Signing secret" });
        await Assertions.Expect(secretField).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^whsec_"));
        var secret = await secretField.InputValueAsync();
        await Assertions.Expect(page.GetByText("it is shown only this once")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Copy" })).ToBeVisibleAsync();

        // Listed with its events and health; the secret is nowhere on the list.
        await page.GetByRole(AriaRole.Link, new() { Name = "Done" }).ClickAsync();
        var row = page.Locator(".RaDatagrid-tbody tr").Filter(new() { HasText = receiver.Url });
        await Assertions.Expect(row).ToContainTextAsync("product.created");
        await Assertions.Expect(row).ToContainTextAsync("no deliveries yet");
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "webhook endpoint list");

        // An event: the delivery succeeds and the log shows it with the receiver's status and answer.
        var api = admin.Admin();
        await api.CreateProductAsync(CatalogSeed.Product(variants: CatalogSeed.Variant(stock: 5)));
        await Eventually.WaitUntilAsync(() => !receiver.Answered.IsEmpty, TimeSpan.FromSeconds(20), "the receiver got the product.created delivery");
        await row.GetByRole(AriaRole.Link, new() { Name = "Deliveries" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Deliveries to " + receiver.Url })).ToBeVisibleAsync();
        var logRows = page.Locator(".RaDatagrid-tbody tr");
        await UntilShownAsync(page, logRows.Filter(new() { HasText = "succeeded" }), 1);
        await Assertions.Expect(logRows.First).ToContainTextAsync("product.created");
        await Assertions.Expect(logRows.First).ToContainTextAsync("200");
        await Assertions.Expect(logRows.First).ToContainTextAsync("gated receiver answered 200");
        await AdminBrowser.AssertNoSeriousAxeViolationsAsync(page, "webhook delivery log");

        // The receiver asks to be left alone for an hour: the next delivery waits, pending, with its next retry shown.
        receiver.Status = 429;
        receiver.RetryAfter = "3600";
        await api.CreateProductAsync(CatalogSeed.Product(variants: CatalogSeed.Variant(stock: 5)));
        await Eventually.WaitUntilAsync(() => receiver.Answered.Count >= 2, TimeSpan.FromSeconds(20), "the receiver answered 429");
        receiver.Status = 200;
        receiver.RetryAfter = null;
        await page.GetByRole(AriaRole.Combobox, new() { Name = "Status" }).ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "Pending" }).ClickAsync();
        var pending = logRows.Filter(new() { HasText = "429" });
        await UntilShownAsync(page, pending, 1);
        await Assertions.Expect(logRows).ToHaveCountAsync(1);
        await Assertions.Expect(pending).ToContainTextAsync("pending");

        // Retry it now, with the keyboard.
        await pending.GetByRole(AriaRole.Button, new() { Name = "Retry now" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByText("Sent again with the same webhook-id")).ToBeVisibleAsync();
        await Eventually.WaitUntilAsync(() => receiver.Answered.Count >= 3, TimeSpan.FromSeconds(20), "the retried delivery arrived");
        var answered = receiver.Answered.ToArray();
        Assert.Equal(answered[1].WebhookId, answered[2].WebhookId);
        Assert.Equal(200, answered[2].AnsweredWith);
        await page.GetByRole(AriaRole.Combobox, new() { Name = "Status" }).ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "Succeeded" }).ClickAsync();
        await UntilShownAsync(page, logRows.Filter(new() { HasText = "succeeded" }), 2);

        Assert.DoesNotContain(errors, e => e.StartsWith("page error", StringComparison.Ordinal));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_stale_edit_says_reload_rotation_shows_the_new_secret_once_and_delete_asks_first()
    {
        var api = admin.Admin();
        var created = await api.CreateWebhookEndpointAsync("http://127.0.0.1:26403/hook", "order.paid");
        var id = created.Endpoint.Id;
        var staff = await admin.StaffAsync();
        var page = await admin.NewPageAsync();
        await admin.SignInAsync(page, staff);
        await page.GotoAsync($"/admin/webhook-endpoints/{id}");
        await Assertions.Expect(page.GetByLabel("URL")).ToHaveValueAsync("http://127.0.0.1:26403/hook");

        // A colleague saves first: this form's version is stale, and the 412 says what to do.
        var put = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/admin/webhook-endpoints/{id}")
        {
            Content = JsonContent.Create(new UpdateWebhookEndpointRequest("http://127.0.0.1:26403/hook", "changed elsewhere", ["order.paid"], true), options: Http.Json),
        };
        put.Headers.TryAddWithoutValidation("If-Match", AdminIfMatch.ETag(created.Endpoint.Version));
        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(put)).StatusCode);
        await page.GetByLabel("Description").FillAsync("mine");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save endpoint" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Reload to see their version, compare")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Reload" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Description")).ToHaveValueAsync("changed elsewhere");

        // Rotation: explained, confirmed, the new secret shown once; the old one keeps signing for the overlap.
        await page.GetByRole(AriaRole.Button, new() { Name = "Rotate secret" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Assertions.Expect(dialog).ToContainTextAsync("two signatures");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Rotate secret" }).ClickAsync();
        var secretField = page.GetByRole(AriaRole.Textbox, new() { Name = "Signing secret" });
        await Assertions.Expect(secretField).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^whsec_"));
        Assert.NotEqual(created.Secret, await secretField.InputValueAsync());
        var rotated = await (await api.GetAsync($"/api/v1/admin/webhook-endpoints/{id}")).ReadAsync<WebhookEndpoint>();
        Assert.NotNull(rotated.PreviousSecretUntil);

        // Delete asks first.
        await page.GotoAsync("/admin/webhook-endpoints");
        var row = page.Locator(".RaDatagrid-tbody tr").Filter(new() { HasText = "127.0.0.1:26403" });
        await row.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Delete endpoint" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Webhook endpoint deleted.")).ToBeVisibleAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"/api/v1/admin/webhook-endpoints/{id}")).StatusCode);
        await page.Context.CloseAsync();
    }

    /// <summary>The log is a snapshot: reload (react-admin's refresh button) until the rows appear.</summary>
    private static async Task UntilShownAsync(IPage page, ILocator rows, int count)
    {
        await Eventually.WaitUntilAsync(async () =>
        {
            if (await rows.CountAsync() >= count)
            {
                return true;
            }
            await page.GetByRole(AriaRole.Button, new() { Name = "Refresh" }).ClickAsync();
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            return await rows.CountAsync() >= count;
        }, TimeSpan.FromSeconds(20), $"{count} matching rows in the delivery log");
    }
}
