namespace Headless.Api.Features.Payments;

public sealed class PaymentsOptions
{
    public const string Section = "Headless:Payments";

    public StripeOptions Stripe { get; set; } = new();

    public sealed class StripeOptions
    {
        /// <summary>sk_live_... or sk_test_...; empty: the built-in test provider takes payments.</summary>
        public string SecretKey { get; set; } = "";
        public string PublishableKey { get; set; } = "";
        /// <summary>whsec_...: the signing secret of the webhook endpoint set up in Stripe's dashboard.</summary>
        public string WebhookSecret { get; set; } = "";
        public string ApiBase { get; set; } = "https://api.stripe.com";
        public int TimeoutSeconds { get; set; } = 20;
    }
}
