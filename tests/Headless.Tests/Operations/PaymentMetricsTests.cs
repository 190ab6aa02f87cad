using System.Net;
using Headless.Tests.Payments;

namespace Headless.Tests.Operations;

/// <summary>Payment provider errors and latency, measured at the Stripe client against the Stripe stand-in.</summary>
public sealed class PaymentMetricsTests(StripeHost host) : IClassFixture<StripeHost>
{
    [Fact]
    public async Task A_stripe_outage_counts_as_provider_errors_of_create_intent_and_as_a_checkout_refusal()
    {
        var sku = await host.SkuAsync(stock: 5);
        var shopper = host.CreateClient();
        var cart = await StripeHost.CartAsync(shopper, sku, 1);

        host.Stripe.FailNext(1);
        var down = await StripeHost.CheckoutAsync(shopper, StripeHost.CheckoutBody(cart.Token), Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);

        var (status, body) = await Scrape.MetricsAsync(host, IPAddress.Loopback);
        Assert.Equal(200, status);
        Assert.Matches(@"(?m)^headless_payments_provider_errors_total\{(?=[^}]*operation=""create_intent"")(?=[^}]*kind=""unavailable"")[^}]*\} [1-9]", body);
        Assert.Matches(@"(?m)^headless_payments_provider_duration_seconds_count\{[^}]*operation=""create_intent""[^}]*outcome=""error""[^}]*\} [1-9]", body);
        Assert.Matches(@"(?m)^headless_checkout_refusals_total\{[^}]*reason=""payment-provider-unavailable""[^}]*\} [1-9]", body);
    }
}
