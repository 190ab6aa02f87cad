using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Headless.Api.Platform.Telemetry;
using Headless.Contracts.Commerce;
using Headless.Tests.Commerce;
using Headless.Tests.Email;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Operations;

/// <summary>One trace from the shopper's checkout to its email and its search update: the requests carry
/// a W3C traceparent (as a browser's or a gateway's would), the outbox events they write carry it on, and
/// the consumers' handling spans continue it. Spans are caught by an in-process ActivityListener.</summary>
public sealed class TraceContextTests(ApiFactory factory) : IClassFixture<ApiFactory>, IDisposable
{
    private readonly ConcurrentQueue<Activity> _spans = new();
    private ActivityListener? _listener;

    [Fact]
    public async Task A_checkouts_trace_id_is_on_the_email_senders_and_the_search_indexers_spans()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == OutboxTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);

        await Shop.PricingAsync(factory);
        var sku = await Shop.SkuAsync(factory.Admin(), stock: 5);
        var shopper = factory.CreateClient();
        var cart = await Shop.NewCartAsync(shopper, (sku, 1));
        var trace = ActivityTraceId.CreateRandom();
        var traceParent = $"00-{trace}-{ActivitySpanId.CreateRandom()}-01";

        var checkout = new HttpRequestMessage(HttpMethod.Post, "/api/v1/checkouts") { Content = JsonContent.Create(Shop.CheckoutBody(cart.Token), options: Http.Json) };
        checkout.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        checkout.Headers.Add("traceparent", traceParent);
        var placed = await (await shopper.SendAsync(checkout)).ReadAsync<CheckoutResult>(HttpStatusCode.Created);
        var pay = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/test-payments/{placed.Payment.PaymentIntentId}/confirm")
        {
            Content = JsonContent.Create(new TestCardRequest("4242 4242 4242 4242", "12/34", "123"), options: Http.Json),
        };
        pay.Headers.Add("X-Client-Secret", placed.Payment.ClientSecret);
        pay.Headers.Add("traceparent", traceParent);
        Assert.Equal("paid", (await (await shopper.SendAsync(pay)).ReadAsync<Order>()).Status);

        await Eventually.WaitUntilAsync(() => Consumers(trace).Contains("email") && Consumers(trace).Any(c => c.StartsWith("search", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(20), "the email sender and the search indexer handled the checkout's events in its trace");
        var email = _spans.First(s => s.TraceId == trace && Consumer(s) == "email");
        Assert.Equal("email.requested", email.GetTagItem("messaging.destination.name"));
        Assert.Equal(ActivityKind.Consumer, email.Kind);
        Assert.Contains(_spans, s => s.TraceId == trace && s.GetTagItem("messaging.destination.name") as string == "inventory.changed");
        // Events written outside this trace are not in it.
        Assert.DoesNotContain(_spans, s => s.TraceId == trace && s.GetTagItem("messaging.destination.name") as string == "product.created");
    }

    private HashSet<string> Consumers(ActivityTraceId trace) =>
        _spans.Where(s => s.TraceId == trace).Select(Consumer).OfType<string>().ToHashSet(StringComparer.Ordinal);

    private static string? Consumer(Activity span) => span.GetTagItem("messaging.consumer.group.name") as string;

    public void Dispose() => _listener?.Dispose();
}
