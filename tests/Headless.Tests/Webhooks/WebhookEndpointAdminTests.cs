using System.Net;
using System.Net.Http.Json;
using System.Text;
using Headless.Contracts.Admin;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Webhooks;

public sealed class WebhookEndpointAdminTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private const string Root = "/api/v1/admin/webhook-endpoints";

    [Fact]
    public async Task Create_list_get_update_and_delete_with_versions_if_match_and_audit_and_the_secret_shown_once()
    {
        var admin = api.Admin();
        var created = await admin.CreateWebhookEndpointAsync("http://127.0.0.1:26712/in", "order.paid", "order.paid", "product.created");
        Assert.StartsWith("whsec_", created.Secret);
        Assert.True(Convert.FromBase64String(created.Secret["whsec_".Length..]).Length >= 24);
        Assert.Equal(["order.paid", "product.created"], created.Endpoint.EventTypes);
        Assert.Equal(1, created.Endpoint.Version);
        var stored = await api.Db.ScalarAsync<string>("select secret from webhook_endpoints where id = @Id", new { created.Endpoint.Id });
        Assert.DoesNotContain(created.Secret, stored);

        var url = $"{Root}/{created.Endpoint.Id}";
        var get = await admin.GetAsync(url);
        var body = await get.Content.ReadAsStringAsync();
        Assert.DoesNotContain("whsec_", body);
        Assert.Equal("\"v1\"", get.Headers.ETag?.ToString());

        var list = await (await admin.GetAsync($"{Root}?limit=100")).ReadAsync<WebhookEndpointPage>();
        Assert.Contains(list.Items, e => e.Id == created.Endpoint.Id);

        var put = (string? ifMatch) =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, url)
            {
                Content = JsonContent.Create(new UpdateWebhookEndpointRequest("http://127.0.0.1:26712/v2", "v2", ["customer.created"], false), options: Http.Json),
            };
            if (ifMatch is not null)
            {
                request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
            }
            return admin.SendAsync(request);
        };
        await (await put(null)).ProblemAsync(HttpStatusCode.PreconditionRequired);
        await (await put("\"v7\"")).ProblemAsync(HttpStatusCode.PreconditionFailed);
        var updated = await (await put("\"v1\"")).ReadAsync<WebhookEndpoint>();
        Assert.Equal((2, false, "http://127.0.0.1:26712/v2"), (updated.Version, updated.Enabled, updated.Url));

        Assert.Equal(HttpStatusCode.PreconditionRequired, (await admin.DeleteAsync(url)).StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await admin.DeleteWithIfMatchAsync(url, "\"v1\"")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteWithIfMatchAsync(url, "\"v2\"")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync(url)).StatusCode);

        var actions = (await api.Db.ScalarAsync<string>(
            "select string_agg(action, ',' order by seq) from audit_log where entity_type = 'webhook_endpoint' and entity_id = @id", new { id = created.Endpoint.Id.ToString() }));
        Assert.Equal("webhook_endpoint.created,webhook_endpoint.updated,webhook_endpoint.deleted", actions);
        Assert.Equal(0, await api.Db.ScalarAsync<int>("select count(*)::int from audit_log where after::text like '%whsec_%' or before::text like '%whsec_%'"));
    }

    [Fact]
    public async Task The_list_pages_with_a_cursor_in_a_stable_order()
    {
        var admin = api.Admin();
        for (var i = 0; i < 3; i++)
        {
            await admin.CreateWebhookEndpointAsync($"http://127.0.0.1:26712/page{i}", "order.paid");
        }
        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await (await admin.GetAsync($"{Root}?limit=2{(cursor is null ? "" : "&cursor=" + cursor)}")).ReadAsync<WebhookEndpointPage>();
            Assert.True(page.Items.Count <= 2);
            seen.AddRange(page.Items.Select(e => e.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        Assert.Equal(seen.Order().ToList(), seen);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.True(seen.Count >= 3);
    }

    [Theory]
    [InlineData("""{"url":"http://127.0.0.1:26712/x","eventTypes":["order.teleported"]}""", "eventTypes[0]")]
    [InlineData("""{"url":"http://127.0.0.1:26712/x","eventTypes":[]}""", "eventTypes")]
    [InlineData("""{"eventTypes":["order.paid"]}""", "url")]
    [InlineData("""{"url":"ftp://x.example/y","eventTypes":["order.paid"]}""", "url")]
    [InlineData("""{"url":"http://10.0.0.1/y","eventTypes":["order.paid"]}""", "url")]
    public async Task Bad_endpoints_are_400_problems_naming_the_field_and_nothing_is_saved(string json, string field)
    {
        var before = await api.Db.ScalarAsync<int>("select count(*)::int from webhook_endpoints");
        var response = await api.Admin().PostAsync(Root, new StringContent(json, Encoding.UTF8, "application/json"));
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]![field]);
        Assert.Equal(before, await api.Db.ScalarAsync<int>("select count(*)::int from webhook_endpoints"));
    }

    [Theory]
    [InlineData("?limit=0")]
    [InlineData("?limit=101")]
    [InlineData("?cursor=bm9wZQ")]
    public async Task Bad_list_queries_are_400_problems(string query)
    {
        await (await api.Admin().GetAsync(Root + query)).ProblemAsync(HttpStatusCode.BadRequest);
        var created = await api.Admin().CreateWebhookEndpointAsync("http://127.0.0.1:26712/q", "order.paid");
        await (await api.Admin().GetAsync($"{Root}/{created.Endpoint.Id}/deliveries{query}")).ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Deliveries_status_filter_redelivery_body_and_unknown_endpoints_are_checked()
    {
        var admin = api.Admin();
        var created = await admin.CreateWebhookEndpointAsync("http://127.0.0.1:26712/r", "order.paid");
        await (await admin.GetAsync($"{Root}/{created.Endpoint.Id}/deliveries?status=lost")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await admin.PostAsync($"{Root}/{created.Endpoint.Id}/redelivery", new StringContent("{}", Encoding.UTF8, "application/json")))
            .ProblemAsync(HttpStatusCode.BadRequest);
        await (await admin.PostAsync($"{Root}/{created.Endpoint.Id}/redelivery", new StringContent("""{"since":"tomorrow"}""", Encoding.UTF8, "application/json")))
            .ProblemAsync(HttpStatusCode.BadRequest);
        var future = await admin.PostAsJsonAsync($"{Root}/{created.Endpoint.Id}/redelivery", new RedeliverWebhooksRequest(DateTimeOffset.UtcNow.AddDays(1)), Http.Json);
        await future.ProblemAsync(HttpStatusCode.BadRequest);
        var missing = Guid.NewGuid();
        await (await admin.GetAsync($"{Root}/{missing}/deliveries")).ProblemAsync(HttpStatusCode.NotFound);
        await (await admin.PostWithIfMatchAsync($"{Root}/{missing}/secret-rotation", AdminIfMatch.ETag(1))).ProblemAsync(HttpStatusCode.NotFound);
        await (await admin.PostAsJsonAsync($"{Root}/{missing}/redelivery", new RedeliverWebhooksRequest(DateTimeOffset.UtcNow), Http.Json)).ProblemAsync(HttpStatusCode.NotFound);
    }
}
