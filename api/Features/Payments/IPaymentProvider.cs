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

/// <summary>How a provider call failed, as far as our answer to the client is concerned.</summary>
public enum PaymentFailure
{
    /// <summary>Not reached, timed out, 5xx, rate limited: try again later.</summary>
    Unavailable,
    /// <summary>Another request with the same provider idempotency key is still running (Stripe's 409
    /// idempotency_key_in_use): try again shortly, the same request will be answered.</summary>
    Busy,
    /// <summary>The card or payment method was declined (Stripe's 402 card_error).</summary>
    Declined,
    /// <summary>The provider refused the request itself (400/404: invalid parameters, unknown object, wrong state).</summary>
    Refused,
    /// <summary>The provider does not accept our credentials (401/403): our configuration, not the client's request.</summary>
    Misconfigured,
}

/// <summary>A failed provider call. Message and Code are the provider's words, for our logs only: they never
/// reach a client (<see cref="PaymentProblems"/> turns the kind into our own problem).</summary>
public sealed class PaymentProviderException(string message, PaymentFailure kind, string? code = null, Exception? inner = null) : Exception(message, inner)
{
    public PaymentProviderException(string message, bool unavailable, string? code = null, Exception? inner = null)
        : this(message, unavailable ? PaymentFailure.Unavailable : PaymentFailure.Refused, code, inner)
    {
    }

    public PaymentFailure Kind => kind;

    /// <summary>The provider answered (rather than timing out or being unreachable): Stripe keeps such an
    /// answer under the request's idempotency key, so asking again needs a new key.</summary>
    public bool Answered { get; init; }
    public bool Unavailable => kind == PaymentFailure.Unavailable;
    public string? Code => code;
}
