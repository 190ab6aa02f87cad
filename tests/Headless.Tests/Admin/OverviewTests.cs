using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Headless.Api.Platform.Security;
using Headless.Contracts.Admin;
using Headless.Tests.Commerce;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Admin;

/// <summary>GET /admin/overview (per-day orders and revenue, awaiting payment, newest orders) and the live
/// order feed GET /admin/live (server-sent events read straight from the outbox).</summary>
public sealed class OverviewTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private async Task<(Guid OrderId, string Number, long Total)> PlaceOrderAsync(bool pay = false)
    {
        await Shop.PricingAsync(api);
        var admin = api.Admin();
        var sku = await Shop.SkuAsync(admin, stock: 10, price: 2500);
        var shopper = api.CreateClient();
        var cart = await Shop.NewCartAsync(shopper, (sku, 1));
        var checkout = await Shop.CheckOutAsync(shopper, cart.Token);
        if (pay)
        {
            Assert.Equal(HttpStatusCode.OK, (await Shop.PayAsync(shopper, checkout)).StatusCode);
        }
        return (checkout.Order.Id, checkout.Order.Number, checkout.Order.Totals.Total.Amount);
    }

    [Fact]
    public async Task Overview_counts_todays_orders_and_paid_revenue_and_lists_the_newest()
    {
        var before = await (await api.Admin().GetAsync("/api/v1/admin/overview")).ReadAsync<AdminOverview>();
        var pending = await PlaceOrderAsync();
        var paid = await PlaceOrderAsync(pay: true);

        var response = await api.Admin().GetAsync("/api/v1/admin/overview");
        var overview = await response.ReadAsync<AdminOverview>();
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Equal(30, overview.Days.Count);
        Assert.Equal(DateOnly.FromDateTime(DateTime.UtcNow), overview.To);
        Assert.Equal(overview.To, overview.Days[^1].Date);
        Assert.Equal(overview.From, overview.Days[0].Date);
        Assert.Equal(before.Days[^1].Orders + 2, overview.Days[^1].Orders);
        long Revenue(AdminOverview o) => o.Days[^1].Revenue.Where(m => m.Currency == "EUR").Sum(m => m.Amount);
        Assert.Equal(Revenue(before) + paid.Total, Revenue(overview));
        Assert.Equal(before.AwaitingPayment + 1, overview.AwaitingPayment);
        Assert.Equal([paid.Number, pending.Number], overview.LatestOrders.Take(2).Select(o => o.Number));
        Assert.True(overview.LatestOrders.Count <= 10);
    }

    [Fact]
    public async Task An_order_placed_after_connecting_arrives_on_the_live_feed_and_a_reconnect_resumes_after_its_last_event_id()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var client = api.Admin();
        using var stream = await OpenAsync(client, lastEventId: null, timeout.Token);
        var first = await PlaceOrderAsync();
        var created = await stream.NextAsync(e => e.Data.GetProperty("orderId").GetGuid() == first.OrderId, timeout.Token);
        Assert.Equal("order", created.Event);
        Assert.Equal("order.created", created.Data.GetProperty("topic").GetString());
        Assert.Equal(first.Number, created.Data.GetProperty("number").GetString());

        // Events after the one we saw: a new connection with its id gets them, and not it again.
        var second = await PlaceOrderAsync();
        using var resumed = await OpenAsync(client, created.Id, timeout.Token);
        var next = await resumed.NextAsync(_ => true, timeout.Token);
        Assert.NotEqual(created.Id, next.Id);
        Assert.Equal(second.OrderId, next.Data.GetProperty("orderId").GetGuid());
    }

    [Fact]
    public async Task The_live_feed_is_for_order_staff_only()
    {
        var anonymous = await api.CreateClient().GetAsync("/api/v1/admin/live", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        await using var conn = await api.Db.OpenConnectionAsync();
        var catalogKey = (await ApiKeys.IssueAsync(conn, "catalog feed", [Scopes.Catalog])).Secret;
        var catalogOnly = api.CreateClient();
        catalogOnly.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", catalogKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await catalogOnly.GetAsync("/api/v1/admin/live", HttpCompletionOption.ResponseHeadersRead)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await catalogOnly.GetAsync("/api/v1/admin/overview")).StatusCode);
    }

    private static async Task<EventStream> OpenAsync(HttpClient client, string? lastEventId, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/admin/live");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new EventStream(response, new StreamReader(await response.Content.ReadAsStreamAsync(ct)));
    }

    private sealed record ServerEvent(string? Id, string? Event, JsonElement Data);

    private sealed class EventStream(HttpResponseMessage response, StreamReader reader) : IDisposable
    {
        public async Task<ServerEvent> NextAsync(Func<ServerEvent, bool> wanted, CancellationToken ct)
        {
            string? id = null, name = null, data = null;
            while (true)
            {
                var line = await reader.ReadLineAsync(ct) ?? throw new InvalidOperationException("The live feed ended.");
                if (line.Length == 0)
                {
                    if (data is not null)
                    {
                        var e = new ServerEvent(id, name, JsonDocument.Parse(data).RootElement.Clone());
                        if (wanted(e))
                        {
                            return e;
                        }
                    }
                    (id, name, data) = (null, null, null);
                }
                else if (line.StartsWith("id: ", StringComparison.Ordinal))
                {
                    id = line[4..];
                }
                else if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    name = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data = line[6..];
                }
            }
        }

        public void Dispose()
        {
            reader.Dispose();
            response.Dispose();
        }
    }
}
