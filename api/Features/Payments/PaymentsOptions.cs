namespace Headless.Api.Features.Payments;

public sealed class PaymentsOptions
{
    public const string Section = "Headless:Payments";

    /// <summary>The built-in test provider's name: <c>Headless__Payments__Provider=test</c>.</summary>
    public const string TestProviderName = "test";

    /// <summary>"stripe", "test", or empty: Stripe when a secret key is set, else the test provider, which
    /// only Development gets without asking (start-up refuses it elsewhere unless it is named here).</summary>
    public string Provider { get; set; } = "";

    public StripeOptions Stripe { get; set; } = new();

    /// <summary>True when payments go to the built-in test provider: no money moves, and the shop's pages
    /// and emails say TEST MODE.</summary>
    public bool UsesTestProvider => Provider.Trim().ToLowerInvariant() switch
    {
        TestProviderName => true,
        "stripe" => false,
        _ => string.IsNullOrWhiteSpace(Stripe.SecretKey),
    };

    public static PaymentsOptions From(IConfiguration config) => config.GetSection(Section).Get<PaymentsOptions>() ?? new();

    public sealed class StripeOptions
    {
        /// <summary>sk_live_... or sk_test_...; empty: the built-in test provider takes payments (Development only).</summary>
        public string SecretKey { get; set; } = "";
        public string PublishableKey { get; set; } = "";
        /// <summary>whsec_...: the signing secret of the webhook endpoint set up in Stripe's dashboard.</summary>
        public string WebhookSecret { get; set; } = "";
        public string ApiBase { get; set; } = "https://api.stripe.com";
        public int TimeoutSeconds { get; set; } = 20;
    }
}
