namespace Headless.Api.Features.Payments;

/// <summary>A payment service in Stripe's shape: a PaymentIntent per order, confirmed in the browser,
/// reported back by webhook or by the browser's return; refunds against it.</summary>
public interface IPaymentProvider
{
    /// <summary>"stripe" or "test".</summary>
    string Name { get; }

    /// <summary>True when no money moves (the built-in test provider, or Stripe test keys).</summary>
    bool TestMode { get; }

    string? PublishableKey { get; }

    /// <exception cref="PaymentProviderException">The provider refused or could not be reached.</exception>
    Task<PaymentIntentInfo> CreateIntentAsync(PaymentIntentCreate create, CancellationToken ct);

    /// <exception cref="PaymentProviderException">The provider refused or could not be reached.</exception>
    Task<PaymentIntentInfo> RetrieveIntentAsync(string id, CancellationToken ct);

    /// <summary>Cancels an unpaid intent; an intent that already succeeded comes back as it is.</summary>
    /// <exception cref="PaymentProviderException">The provider refused or could not be reached.</exception>
    Task<PaymentIntentInfo> CancelIntentAsync(string id, CancellationToken ct);

    /// <exception cref="PaymentProviderException">The provider refused or could not be reached.</exception>
    Task<RefundInfo> RefundAsync(string paymentIntentId, long amount, string idempotencyKey, CancellationToken ct);
}

public sealed record PaymentIntentCreate(long Amount, string Currency, string IdempotencyKey, string Description, IReadOnlyDictionary<string, string> Metadata);

/// <summary>Status is Stripe's: requires_payment_method, requires_confirmation, requires_action,
/// processing, requires_capture, canceled, succeeded.</summary>
public sealed record PaymentIntentInfo(string Id, string ClientSecret, string Status, long Amount, long AmountReceived, string Currency, string? LastError);

public sealed record RefundInfo(string Id, string Status, long Amount);

/// <summary>Unavailable: the provider could not be reached or failed (5xx, timeout); try later.
/// Otherwise the provider refused the request (Code is Stripe's error code).</summary>
public sealed class PaymentProviderException(string message, bool unavailable, string? code = null, Exception? inner = null) : Exception(message, inner)
{
    public bool Unavailable => unavailable;
    public string? Code => code;
}
