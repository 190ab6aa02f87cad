using System.Net;
using Headless.Api.Platform.Telemetry;
using Stripe;
using SdkClient = Stripe.StripeClient;

namespace Headless.Api.Features.Payments.Stripe;

/// <summary>
/// Stripe through Stripe.net: PaymentIntents and refunds with the SDK's services, sent through the
/// HttpClient that IHttpClientFactory hands us (so our timeout and handlers apply), at the API base from
/// our options (tests point it at a stand-in), and Stripe's errors turned into <see cref="PaymentProviderException"/>.
/// </summary>
public sealed class StripeClient : IPaymentProvider
{
    /// <summary>The Stripe API version every request is made with and webhook objects are read as:
    /// the one Stripe.net 53.1 pins (<see cref="StripeConfiguration.ApiVersion"/>; a test keeps them equal).
    /// Webhook endpoints set up in Stripe's dashboard should use it too.</summary>
    public const string ApiVersion = "2026-10-28.endive";

    private readonly PaymentsOptions.StripeOptions _options;
    private readonly PaymentIntentService _intents;
    private readonly RefundService _refunds;

    public StripeClient(HttpClient http, PaymentsOptions.StripeOptions options)
    {
        _options = options;
        var sdk = new SdkClient(new StripeClientOptions
        {
            ApiKey = options.SecretKey,
            ApiBase = options.ApiBase.TrimEnd('/'),
            // No retries inside the SDK: a failure reaches the caller within one timeout as a 503, and the
            // caller's retry (same Idempotency-Key) asks Stripe again under a fresh Stripe key where needed
            // (checkout bumps the cart version), rather than replaying a 500 Stripe saved under the old one.
            // Telemetry off: request timings and our host's OS are not Stripe's business.
            HttpClient = new SystemNetHttpClient(http, maxNetworkRetries: 0, enableTelemetry: false),
        });
        _intents = new PaymentIntentService(sdk);
        _refunds = new RefundService(sdk);
    }

    public string Name => "stripe";
    public bool TestMode => _options.SecretKey.StartsWith("sk_test_", StringComparison.Ordinal);
    public string? PublishableKey => string.IsNullOrEmpty(_options.PublishableKey) ? null : _options.PublishableKey;

    public async Task<PaymentIntentInfo> CreateIntentAsync(PaymentIntentCreate create, CancellationToken ct)
    {
        var options = new PaymentIntentCreateOptions
        {
            Amount = create.Amount,
            Currency = create.Currency.ToLowerInvariant(),
            AutomaticPaymentMethods = new PaymentIntentAutomaticPaymentMethodsOptions { Enabled = true },
            Description = create.Description,
            Metadata = create.Metadata.ToDictionary(),
        };
        var intent = await CallAsync("create_intent", () => _intents.CreateAsync(options, new RequestOptions { IdempotencyKey = create.IdempotencyKey }, ct), ct);
        return Complete(intent);
    }

    public async Task<PaymentIntentInfo> RetrieveIntentAsync(string id, CancellationToken ct) =>
        Complete(await CallAsync("retrieve_intent", () => _intents.GetAsync(id, cancellationToken: ct), ct));

    public async Task<PaymentIntentInfo> CancelIntentAsync(string id, CancellationToken ct)
    {
        try
        {
            return Complete(await CallAsync("cancel_intent", () => _intents.CancelAsync(id, cancellationToken: ct), ct));
        }
        catch (PaymentProviderException e) when (e.Code == "payment_intent_unexpected_state")
        {
            // Already succeeded or canceled: report what it is.
            return await RetrieveIntentAsync(id, ct);
        }
    }

    public async Task<RefundInfo> RefundAsync(string paymentIntentId, long amount, string idempotencyKey, CancellationToken ct)
    {
        var options = new RefundCreateOptions { PaymentIntent = paymentIntentId, Amount = amount };
        var refund = await CallAsync("refund", () => _refunds.CreateAsync(options, new RequestOptions { IdempotencyKey = idempotencyKey }, ct), ct);
        return new RefundInfo(refund.Id, refund.Status, refund.Amount);
    }

    /// <summary>A payment_intent as Stripe.net read it (from a response or a webhook event); null when it
    /// lacks what an order needs (id, status, currency, a positive amount).</summary>
    public static PaymentIntentInfo? ReadIntent(PaymentIntent? intent) =>
        intent is { Id.Length: > 0, Status.Length: > 0, Currency.Length: > 0, Amount: > 0 }
            ? new PaymentIntentInfo(intent.Id, intent.ClientSecret ?? "", intent.Status, intent.Amount, intent.AmountReceived,
                intent.Currency.ToUpperInvariant(), intent.LastPaymentError?.Message)
            : null;

    private static PaymentIntentInfo Complete(PaymentIntent intent) =>
        ReadIntent(intent) ?? throw new PaymentProviderException("Stripe answered with an incomplete payment intent.", unavailable: true);

    /// <summary>What a Stripe error means for our caller (docs.stripe.com/error-handling).</summary>
    public static PaymentFailure Classify(HttpStatusCode status, StripeError? error) => (int)status switch
    {
        // No Stripe error object: something other than Stripe's API answered (a proxy's 502 page).
        _ when error is null => PaymentFailure.Unavailable,
        >= 500 or 429 => PaymentFailure.Unavailable,
        // idempotency_key_in_use: our earlier request with this key is still running at Stripe.
        409 => PaymentFailure.Busy,
        402 => PaymentFailure.Declined,
        401 or 403 => PaymentFailure.Misconfigured,
        _ => PaymentFailure.Refused,
    };

    private static async Task<T> CallAsync<T>(string operation, Func<Task<T>> call, CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var answer = await call();
            HeadlessMetrics.ProviderCall(operation, started, failureKind: null);
            return answer;
        }
        catch (StripeException e)
        {
            var status = (int)e.HttpStatusCode;
            var kind = Classify(e.HttpStatusCode, e.StripeError);
            HeadlessMetrics.ProviderCall(operation, started, kind.ToString().ToLowerInvariant());
            throw new PaymentProviderException(e.StripeError?.Message ?? $"Stripe answered {status}.", kind,
                e.StripeError?.Code ?? e.StripeError?.Type, e)
            { Answered = e.StripeError is not null };
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            HeadlessMetrics.ProviderCall(operation, started, "unavailable");
            throw new PaymentProviderException("Stripe could not be reached.", unavailable: true, inner: e);
        }
    }
}
