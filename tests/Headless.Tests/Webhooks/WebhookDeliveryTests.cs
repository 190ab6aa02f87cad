using System.Net;
using System.Net.Http.Json;
using Dapper;
using Headless.Contracts.Accounts;
using Headless.Contracts.Admin;
using Headless.Tests.Email;
using Headless.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Headless.Tests.Webhooks;

/// <summary>Deliveries from the outbox to a real receiver on 127.0.0.1 that verifies every signature with the
/// npm `standardwebhooks` package. Time is driven through the deliveries' due times, never slept through.</summary>
public sealed class WebhookDeliveryTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static string Resource() => Guid.NewGuid().ToString();

    private async Task<WebhookDeliveryPage> DeliveriesAsync(HttpClient admin, Guid endpoint, string? status = null) =>
        await (await admin.GetAsync($"/api/v1/admin/webhook-endpoints/{endpoint}/deliveries?limit=100{(status is null ? "" : "&status=" + status)}"))
            .ReadAsync<WebhookDeliveryPage>();

    [Fact]
    public async Task Every_delivery_is_signed_to_the_standard_and_verified_by_the_npm_package()
    {
        await using var receiver = await WebhookReceiver.StartAsync(26701);
        var admin = api.Admin();
        var created = await admin.CreateWebhookEndpointAsync(receiver.Url, "product.created", "order.shipped");
        await receiver.SetAsync([created.Secret]);

        var product = await admin.CreateProductAsync(CatalogSeed.Product(variants: CatalogSeed.Variant(stock: 50)));
        var order = Resource();
        await api.Db.EmitAsync("order.fulfilled", "order", order);
        await api.Db.EmitAsync("order.paid", "order", order); // not subscribed

        var received = await receiver.WaitForAsync(2);
        Assert.Equal(2, received.Count);
        foreach (var r in received)
        {
            Assert.True(r.Verified[created.Secret], $"standardwebhooks rejected {r.Signature}");
            Assert.StartsWith("v1,", r.Signature);
            Assert.True(Guid.TryParse(r.Id, out _));
            Assert.InRange(long.Parse(r.Timestamp!, System.Globalization.CultureInfo.InvariantCulture),
                DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds());
            Assert.StartsWith("application/json", r.ContentType);
            Assert.StartsWith("evt_", r.EventId);
            Assert.True(DateTimeOffset.TryParse(r.Json.GetProperty("timestamp").GetString(), out _));
        }
        var productEvent = Assert.Single(received, r => r.Type == "product.created");
        Assert.Equal(product.Id.ToString(), productEvent.ResourceId);
        Assert.Equal(product.Version, productEvent.Json.GetProperty("data").GetProperty("version").GetInt32());
        var shipped = Assert.Single(received, r => r.Type == "order.shipped");
        Assert.Equal(order, shipped.ResourceId);

        // A forged signature is not accepted by the same verifier: the check above can fail.
        Assert.False(received[0].Verified.ContainsKey("whsec_" + Convert.ToBase64String(new byte[32])));

        await Eventually.WaitUntilAsync(async () => (await DeliveriesAsync(admin, created.Endpoint.Id, "succeeded")).Items.Count == 2, WebhookTestKit.Within, "both are logged as succeeded");
        var log = await DeliveriesAsync(admin, created.Endpoint.Id);
        var attempt = Assert.Single(log.Items.Single(d => d.EventType == "order.shipped").AttemptLog);
        Assert.Equal(200, attempt.StatusCode);
        Assert.Equal("receiver answered 200", attempt.ResponseSnippet);
        Assert.True(attempt.LatencyMs >= 0);
        Assert.Equal(shipped.Id, log.Items.Single(d => d.EventType == "order.shipped").Id.ToString());
    }

    [Fact]
    public async Task A_receiver_that_was_down_gets_everything_once_back_in_event_order_per_resource()
    {
        var admin = api.Admin();
        var created = await admin.CreateWebhookEndpointAsync("http://127.0.0.1:26702/hook", "order.paid", "order.refunded");
        var (a, b) = (Resource(), Resource());
        await api.Db.EmitAsync("order.paid", "order", a);
        await api.Db.EmitAsync("order.paid", "order", b);
        await api.Db.EmitAsync("order.refunded", "order", a);
        await api.Db.EmitAsync("order.refunded", "order", b);
        await api.Db.EmitAsync("order.refunded", "order", a);

        // Down: the first event of each order is tried and fails; the ones behind it wait their turn (all five fanned
        // out: the fan-out of the later events may come a round after the first attempts).
        await Eventually.WaitUntilAsync(async () =>
            {
                var all = (await DeliveriesAsync(admin, created.Endpoint.Id)).Items;
                return all.Count(d => d.Attempts > 0 && d.LastError is not null) == 2 && all.Count == 5;
            },
            WebhookTestKit.Within, "the first delivery of each order failed and all five are queued");
        var waiting = await DeliveriesAsync(admin, created.Endpoint.Id, "pending");
        Assert.Equal(5, waiting.Items.Count);
        Assert.All(waiting.Items.Where(d => d.Attempts > 0), d => Assert.StartsWith("connection:", d.LastError));
        Assert.Equal(3, waiting.Items.Count(d => d.Attempts == 0));

        await using var receiver = await WebhookReceiver.StartAsync(26702);
        await receiver.SetAsync([created.Secret]);
        await api.Db.MakeDueAsync(created.Endpoint.Id);

        var received = await receiver.WaitForAsync(5);
        Assert.Equal(5, received.Count);
        Assert.All(received, r => Assert.True(r.Verified[created.Secret]));
        Assert.Equal(5, received.Select(r => r.Id).Distinct().Count());
        foreach (var resource in new[] { a, b })
        {
            var ids = received.Where(r => r.ResourceId == resource).Select(r => long.Parse(r.EventId[4..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(ids.Order().ToList(), ids);
        }
        Assert.Equal(["order.paid", "order.refunded", "order.refunded"], received.Where(r => r.ResourceId == a).Select(r => r.Type));
    }

    [Fact]
    public async Task A_410_disables_the_endpoint_and_enabling_and_redelivering_sends_the_same_webhook_id()
    {
        await using var receiver = await WebhookReceiver.StartAsync(26703);
        var admin = api.Admin();
        var created = await admin.CreateWebhookEndpointAsync(receiver.Url, "order.paid");
        await receiver.SetAsync([created.Secret], status: 410);
        await api.Db.EmitAsync("order.paid", "order", Resource());

        var url = $"/api/v1/admin/webhook-endpoints/{created.Endpoint.Id}";
        await Eventually.WaitUntilAsync(async () => !(await (await admin.GetAsync(url)).ReadAsync<WebhookEndpoint>()).Enabled, WebhookTestKit.Within, "the endpoint is disabled");
        var disabled = await (await admin.GetAsync(url)).ReadAsync<WebhookEndpoint>();
        Assert.Equal("gone", disabled.DisabledReason);
        Assert.Equal(created.Endpoint.Version + 1, disabled.Version);
        var failed = Assert.Single((await DeliveriesAsync(admin, created.Endpoint.Id, "failed")).Items);
        Assert.Equal(410, failed.LastStatus);
        Assert.Equal(1, await api.Db.ScalarAsync<int>(
            "select count(*)::int from audit_log where action = 'webhook_endpoint.disabled' and entity_id = @id and actor = 'system:webhooks'", new { id = created.Endpoint.Id.ToString() }));

        await receiver.SetAsync([created.Secret]);
        var enable = new HttpRequestMessage(HttpMethod.Put, url)
        {
            Content = JsonContent.Create(new UpdateWebhookEndpointRequest(receiver.Url, "back", ["order.paid"], true), options: Http.Json),
        };
        enable.Headers.TryAddWithoutValidation("If-Match", AdminIfMatch.ETag(disabled.Version));
        var enabled = await (await admin.SendAsync(enable)).ReadAsync<WebhookEndpoint>();
        Assert.True(enabled.Enabled);
        Assert.Null(enabled.DisabledReason);

        var redelivery = await admin.PostAsJsonAsync($"{url}/redelivery", new RedeliverWebhooksRequest(DateTimeOffset.UtcNow.AddHours(-1)), Http.Json);
        Assert.Equal(1, (await redelivery.ReadAsync<RedeliveryResult>(HttpStatusCode.Accepted)).Queued);
        var received = await receiver.WaitForAsync(2);
        Assert.Equal(received[0].Id, received[1].Id);
        Assert.True(received[1].Verified[created.Secret]);
        Assert.Equal(failed.Id.ToString(), received[1].Id);

        // One delivery by hand, once the log shows the redelivery succeeded (as staff would see it): the same id again.
        await Eventually.WaitUntilAsync(async () => (await DeliveriesAsync(admin, created.Endpoint.Id, "succeeded")).Items.Any(d => d.Id == failed.Id),
            WebhookTestKit.Within, "the redelivery is logged as succeeded");
        var retry = await admin.PostAsync($"{url}/deliveries/{failed.Id}/retry", null);
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal(failed.Id.ToString(), (await receiver.WaitForAsync(3))[2].Id);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync($"{url}/deliveries/{Guid.NewGuid()}/retry", null)).StatusCode);
    }

    [Fact]
    public async Task Retry_after_of_a_429_sets_the_next_attempt_and_a_503_without_it_follows_the_schedule()
    {
        await using var receiver = await WebhookReceiver.StartAsync(26704);
        var admin = api.Admin();
        var created = await admin.CreateWebhookEndpointAsync(receiver.Url, "order.paid");
        await receiver.SetAsync([created.Secret], status: 429, retryAfter: "120");
        await api.Db.EmitAsync("order.paid", "order", Resource());
        await receiver.WaitForAsync(1);

        const string Wait = """
            select extract(epoch from d.next_attempt_at - a.at)::float8
            from webhook_deliveries d join webhook_attempts a on a.delivery_id = d.id
            where d.endpoint_id = @id and a.status_code = @status and d.status = 'pending'
            """;
        await Eventually.WaitUntilAsync(async () => await api.Db.ScalarAsync<double?>(Wait, new { id = created.Endpoint.Id, status = 429 }) is not null,
            WebhookTestKit.Within, "the 429 attempt is recorded");
        Assert.Equal(120, await api.Db.ScalarAsync<double>(Wait, new { id = created.Endpoint.Id, status = 429 }), precision: 3);

        await receiver.SetAsync([created.Secret], status: 503);
        await api.Db.EmitAsync("order.paid", "order", Resource());
        await receiver.WaitForAsync(2);
        await Eventually.WaitUntilAsync(async () => await api.Db.ScalarAsync<double?>(Wait, new { id = created.Endpoint.Id, status = 503 }) is not null,
            WebhookTestKit.Within, "the 503 attempt is recorded");
        // The schedule's first wait, 5 s, with ±20 % jitter.
        Assert.InRange(await api.Db.ScalarAsync<double>(Wait, new { id = created.Endpoint.Id, status = 503 }), 4.0, 6.0);
    }

    [Fact]
    public async Task During_a_rotation_both_secrets_verify_and_after_the_overlap_only_the_new_one()
    {
        await using var receiver = await WebhookReceiver.StartAsync(26705);
        var admin = api.Admin();
        var created = await admin.CreateWebhookEndpointAsync(receiver.Url, "order.paid");
        var old = created.Secret;
        var rotationUrl = $"/api/v1/admin/webhook-endpoints/{created.Endpoint.Id}/secret-rotation";
        await (await admin.PostAsync(rotationUrl, null)).ProblemAsync(HttpStatusCode.PreconditionRequired);
        var rotation = await admin.PostWithIfMatchAsync(rotationUrl, AdminIfMatch.ETag(created.Endpoint.Version));
        var rotated = await rotation.ReadAsync<RotatedWebhookSecret>();
        // A second rotation from the same stale read would retire the secret just handed out: refused.
        await (await admin.PostWithIfMatchAsync(rotationUrl, AdminIfMatch.ETag(created.Endpoint.Version))).ProblemAsync(HttpStatusCode.PreconditionFailed);
        Assert.NotEqual(old, rotated.Secret);
        Assert.StartsWith("whsec_", rotated.Secret);
        Assert.InRange(rotated.Endpoint.PreviousSecretUntil!.Value, DateTimeOffset.UtcNow.AddHours(23), DateTimeOffset.UtcNow.AddHours(25));
        await receiver.SetAsync([old, rotated.Secret]);

        await api.Db.EmitAsync("order.paid", "order", Resource());
        var during = (await receiver.WaitForAsync(1))[0];
        Assert.True(during.Verified[old], "a receiver still on the old secret verifies");
        Assert.True(during.Verified[rotated.Secret], "a receiver on the new secret verifies");
        Assert.Equal(2, during.Signature!.Split(' ').Length);

        // The overlap ends (driven through its end time).
        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("update webhook_endpoints set previous_secret_until = now() - interval '1 second' where id = @Id", new { created.Endpoint.Id });
        }
        await api.Db.EmitAsync("order.paid", "order", Resource());
        var after = (await receiver.WaitForAsync(2))[1];
        Assert.False(after.Verified[old]);
        Assert.True(after.Verified[rotated.Secret]);
    }

    [Fact]
    public async Task An_endpoint_failing_for_three_days_is_disabled_and_the_admins_are_emailed()
    {
        var admin = api.Admin();
        var created = await admin.CreateWebhookEndpointAsync("http://127.0.0.1:26706/hook", "order.paid");
        var adminEmail = $"admin-{Guid.NewGuid():N}@example.test";
        Guid userId;
        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            // The admin's address is their person's vault field (issue 15).
            userId = await Accounts.VaultPeople.InsertUserAsync(api.Services, conn, adminEmail, "Grace");
            await conn.ExecuteAsync("""
                insert into user_roles (user_id, role) values (@userId, 'admin');
                update webhook_endpoints set failing_since = now() - interval '3 days 1 minute' where id = @Id;
                """, new { userId, adminEmail, created.Endpoint.Id });
        }
        await api.Db.EmitAsync("order.paid", "order", Resource());

        var url = $"/api/v1/admin/webhook-endpoints/{created.Endpoint.Id}";
        await Eventually.WaitUntilAsync(async () => !(await (await admin.GetAsync(url)).ReadAsync<WebhookEndpoint>()).Enabled, WebhookTestKit.Within, "the endpoint is disabled");
        Assert.Equal("failing", (await (await admin.GetAsync(url)).ReadAsync<WebhookEndpoint>()).DisabledReason);
        Assert.Equal(1, await api.Db.ScalarAsync<int>("""
            select count(*)::int from outbox where topic = 'email.requested' and payload->>'template' = 'webhook-endpoint-disabled'
              and payload->'person'->>'id' = (select person_id::text from users where id = @userId)
            """, new { userId }));
    }

    [Fact]
    public async Task Deliveries_older_than_three_days_fail_and_the_log_is_pruned_after_30_days()
    {
        var admin = api.Admin();
        var created = await admin.CreateWebhookEndpointAsync("http://127.0.0.1:26709/hook", "order.paid");
        await api.Db.EmitAsync("order.paid", "order", Resource());
        await Eventually.WaitUntilAsync(async () => (await DeliveriesAsync(admin, created.Endpoint.Id)).Items.Count == 1, WebhookTestKit.Within, "the delivery is queued");
        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("update webhook_deliveries set created_at = now() - interval '3 days', next_attempt_at = now() where endpoint_id = @Id", new { created.Endpoint.Id });
        }
        await Eventually.WaitUntilAsync(async () => (await DeliveriesAsync(admin, created.Endpoint.Id, "failed")).Items.Count == 1, WebhookTestKit.Within, "the delivery gave up");

        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("update webhook_deliveries set created_at = now() - interval '31 days' where endpoint_id = @Id", new { created.Endpoint.Id });
        }
        var pruner = api.Services.GetRequiredService<Headless.Api.Features.Webhooks.WebhookLogPruner>();
        Assert.True(await pruner.PruneAsync(CancellationToken.None) >= 1);
        Assert.Empty((await DeliveriesAsync(admin, created.Endpoint.Id)).Items);
        Assert.Equal(0, await api.Db.ScalarAsync<int>("select count(*)::int from webhook_attempts a join webhook_deliveries d on d.id = a.delivery_id where d.endpoint_id = @Id", new { created.Endpoint.Id }));
    }

    [Fact]
    public async Task The_domain_emits_low_stock_and_customer_events_in_the_changing_transaction()
    {
        var admin = api.Admin();
        var product = await admin.CreateProductAsync(CatalogSeed.Product(variants: CatalogSeed.Variant(stock: 50)));
        var sku = product.Variants[0].Sku;
        const string LowStock = "select count(*)::int from outbox where topic = 'inventory.low_stock' and aggregate_id = @id";
        Assert.Equal(0, await api.Db.ScalarAsync<int>(LowStock, new { id = product.Id.ToString() }));
        (await admin.SetStockAsync(sku, new { onHand = 3, reason = "stock take" })).EnsureSuccessStatusCode();
        Assert.Equal(1, await api.Db.ScalarAsync<int>(LowStock, new { id = product.Id.ToString() }));
        (await admin.SetStockAsync(sku, new { onHand = 2, reason = "stock take" })).EnsureSuccessStatusCode();
        Assert.Equal(1, await api.Db.ScalarAsync<int>(LowStock, new { id = product.Id.ToString() })); // already low: no second event

        var email = $"customer-{Guid.NewGuid():N}@example.test";
        var registered = await api.CreateClient().PostAsJsonAsync("/api/v1/auth/register", new RegisterRequest(email, "A-long-enough-passphrase-42!", "Ada", null, null), Http.Json);
        Assert.Equal(HttpStatusCode.Accepted, registered.StatusCode);
        var userId = (await Accounts.VaultPeople.UserIdAsync(api.Services, api.Db, email))!.Value;
        Assert.Equal(1, await api.Db.ScalarAsync<int>("select count(*)::int from outbox where topic = 'customer.created' and aggregate_id = @id", new { id = userId.ToString() }));
    }
}
