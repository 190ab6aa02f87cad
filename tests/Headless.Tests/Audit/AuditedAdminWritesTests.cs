using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using Headless.Contracts.Admin;
using Headless.Contracts.Commerce;
using Headless.Tests.Commerce;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Audit;

/// <summary>Every order and pricing admin write records the entity before and after, and
/// GET /api/v1/admin/audit lists the log with filters and cursor paging.</summary>
public sealed class AuditedAdminWritesTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private async Task<(JsonObject? Before, JsonObject? After)> AuditOfAsync(string action, string entityId)
    {
        await using var conn = await api.Db.OpenConnectionAsync();
        var (before, after) = await conn.QuerySingleAsync<(string?, string?)>(
            "select before::text, after::text from audit_log where action = @action and entity_id = @entityId order by seq desc limit 1", new { action, entityId });
        return (before is null ? null : JsonNode.Parse(before)!.AsObject(), after is null ? null : JsonNode.Parse(after)!.AsObject());
    }

    [Fact]
    public async Task Shipping_delivering_refunding_and_canceling_orders_record_before_and_after()
    {
        await Shop.PricingAsync(api);
        var admin = api.Admin();
        var sku = await Shop.SkuAsync(admin, stock: 5, price: 1000);
        var shopper = api.CreateClient();
        var checkout = await Shop.CheckOutAsync(shopper, (await Shop.NewCartAsync(shopper, (sku, 1))).Token);
        (await Shop.PayAsync(shopper, checkout)).EnsureSuccessStatusCode();
        var id = checkout.Order.Id.ToString();
        var orderUrl = $"/api/v1/admin/orders/{id}";

        (await admin.OrderActionAsync(orderUrl, "shipments", new ShipOrderRequest("DHL", "JD0001"))).EnsureSuccessStatusCode();
        var (before, after) = await AuditOfAsync("order.shipped", id);
        Assert.Equal("paid", (string?)before!["status"]);
        Assert.Null(before["trackingNumber"]);
        Assert.Equal("fulfilled", (string?)after!["status"]);
        Assert.Equal("JD0001", (string?)after["trackingNumber"]);

        (await admin.OrderActionAsync(orderUrl, "delivery")).EnsureSuccessStatusCode();
        (before, after) = await AuditOfAsync("order.delivered", id);
        Assert.Equal(("fulfilled", "delivered"), ((string?)before!["status"], (string?)after!["status"]));

        Assert.Equal(HttpStatusCode.Created, (await admin.OrderActionAsync(orderUrl, "refunds", new RefundRequest(300, "scratched"), "audit-r-1")).StatusCode);
        (before, after) = await AuditOfAsync("order.refunded", id);
        Assert.Equal((0L, 300L, 300L), ((long)before!["refundedTotal"]!, (long)after!["refundedTotal"]!, (long)after["refundAmount"]!));
        Assert.Equal("partially_refunded", (string?)after["status"]);

        var unpaid = await Shop.CheckOutAsync(shopper, (await Shop.NewCartAsync(shopper, (sku, 1))).Token);
        (await admin.OrderActionAsync(unpaid.Order.Id, "cancellation", new CancelOrderRequest("asked"))).EnsureSuccessStatusCode();
        (before, after) = await AuditOfAsync("order.canceled", unpaid.Order.Id.ToString());
        Assert.Equal(("pending_payment", "canceled"), ((string?)before!["status"], (string?)after!["status"]));
    }

    [Fact]
    public async Task Tax_rate_shipping_method_and_discount_code_writes_record_before_and_after()
    {
        var admin = api.Admin();
        var set = await admin.SendJsonAsync(HttpMethod.Put, "/api/v1/admin/tax-rates/IS", new SetTaxRateRequest(2500, true));
        set.EnsureSuccessStatusCode();
        var (before, after) = await AuditOfAsync("tax-rate.set", "IS:");
        Assert.Null(before);
        Assert.Equal(2500, (int)after!["rateBasisPoints"]!);
        set = await admin.SendJsonAsync(HttpMethod.Put, "/api/v1/admin/tax-rates/IS", new SetTaxRateRequest(1500, true), ifMatch: set.Headers.ETag!.ToString());
        set.EnsureSuccessStatusCode();
        (before, after) = await AuditOfAsync("tax-rate.set", "IS:");
        Assert.Equal((2500, 1500), ((int)before!["rateBasisPoints"]!, (int)after!["rateBasisPoints"]!));
        (await admin.DeleteWithIfMatchAsync("/api/v1/admin/tax-rates/IS", set.Headers.ETag!.ToString())).EnsureSuccessStatusCode();
        (before, after) = await AuditOfAsync("tax-rate.deleted", "IS:");
        Assert.Equal(1500, (int)before!["rateBasisPoints"]!);
        Assert.Null(after);

        var created = await (await admin.SendJsonAsync(HttpMethod.Post, "/api/v1/admin/shipping-methods", new CreateShippingMethodRequest("audit-post", "Audit post", true, 0,
            [new ShippingRateInput(["DE"], 0, 2000, 490)]))).ReadAsync<ShippingMethod>(HttpStatusCode.Created);
        (before, after) = await AuditOfAsync("shipping-method.created", created.Id.ToString());
        Assert.Null(before);
        Assert.Equal("Audit post", (string?)after!["name"]);
        (await admin.SendJsonAsync(HttpMethod.Patch, "/api/v1/admin/shipping-methods/audit-post", new UpdateShippingMethodRequest("Audit parcel", null, null, null), ifMatch: $"\"v{created.Version}\"")).EnsureSuccessStatusCode();
        (before, after) = await AuditOfAsync("shipping-method.updated", created.Id.ToString());
        Assert.Equal(("Audit post", "Audit parcel"), ((string?)before!["name"], (string?)after!["name"]));

        var code = await (await admin.SendJsonAsync(HttpMethod.Post, "/api/v1/admin/discount-codes", new CreateDiscountCodeRequest("AUDIT5", "percentage", 5, null, null, null, 10)))
            .ReadAsync<DiscountCode>(HttpStatusCode.Created);
        (before, after) = await AuditOfAsync("discount-code.created", "AUDIT5");
        Assert.Null(before);
        Assert.Equal(10, (int)after!["usageLimit"]!);
        (await admin.SendJsonAsync(HttpMethod.Patch, "/api/v1/admin/discount-codes/AUDIT5", new UpdateDiscountCodeRequest(false, null, 20), ifMatch: $"\"v{code.Version}\"")).EnsureSuccessStatusCode();
        (before, after) = await AuditOfAsync("discount-code.updated", "AUDIT5");
        Assert.Equal((true, false), ((bool)before!["active"]!, (bool)after!["active"]!));
        Assert.Equal((10, 20), ((int)before["usageLimit"]!, (int)after["usageLimit"]!));
    }

    [Fact]
    public async Task The_audit_list_filters_by_actor_action_entity_and_time_and_pages_newest_first()
    {
        var admin = api.Admin();
        var startedAt = DateTimeOffset.UtcNow.AddSeconds(-1);
        var etags = new Dictionary<string, string>();
        foreach (var country in new[] { "LT", "LV", "EE" })
        {
            var set = await admin.SendJsonAsync(HttpMethod.Put, $"/api/v1/admin/tax-rates/{country}", new SetTaxRateRequest(2100, true));
            set.EnsureSuccessStatusCode();
            etags[country] = set.Headers.ETag!.ToString();
        }
        (await admin.SendJsonAsync(HttpMethod.Put, "/api/v1/admin/tax-rates/LT", new SetTaxRateRequest(2200, true), ifMatch: etags["LT"])).EnsureSuccessStatusCode();

        var lt = await (await admin.GetAsync("/api/v1/admin/audit?entityType=tax-rate&entityId=LT:")).ReadAsync<AuditPage>();
        Assert.Equal([2200, 2100], lt.Items.Select(e => e.After!.Value.GetProperty("rateBasisPoints").GetInt32()));
        Assert.True(lt.Items[0].Seq > lt.Items[1].Seq);
        var actor = lt.Items[0].Actor;
        Assert.StartsWith("api-key:", actor, StringComparison.Ordinal);

        var seen = new List<long>();
        string? cursor = null;
        do
        {
            var page = await (await admin.GetAsync($"/api/v1/admin/audit?action=tax-rate.set&actor={Uri.EscapeDataString(actor)}&from={Uri.EscapeDataString(startedAt.ToString("o"))}&limit=3"
                + (cursor is null ? "" : "&cursor=" + cursor))).ReadAsync<AuditPage>();
            Assert.True(page.Items.Count <= 3);
            seen.AddRange(page.Items.Select(e => e.Seq));
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        Assert.True(seen.Count >= 4);
        Assert.Equal(seen.OrderDescending(), seen);
        Assert.Equal(seen.Count, seen.Distinct().Count());

        var none = await (await admin.GetAsync($"/api/v1/admin/audit?action=tax-rate.set&to={Uri.EscapeDataString(startedAt.AddDays(-1).ToString("o"))}")).ReadAsync<AuditPage>();
        Assert.Empty(none.Items);

        Assert.Contains("limit", (await (await admin.GetAsync("/api/v1/admin/audit?limit=0")).ProblemAsync(HttpStatusCode.BadRequest)).FieldErrors());
        Assert.Contains("cursor", (await (await admin.GetAsync("/api/v1/admin/audit?cursor=not-ours")).ProblemAsync(HttpStatusCode.BadRequest)).FieldErrors());
        Assert.Contains("to", (await (await admin.GetAsync($"/api/v1/admin/audit?from={Uri.EscapeDataString(startedAt.ToString("o"))}&to={Uri.EscapeDataString(startedAt.AddHours(-1).ToString("o"))}")).ProblemAsync(HttpStatusCode.BadRequest)).FieldErrors());
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/api/v1/admin/audit?from=yesterday")).StatusCode);
    }
}
