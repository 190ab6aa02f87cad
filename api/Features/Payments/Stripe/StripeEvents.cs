using System.Text.Json;
using Stripe;

namespace Headless.Api.Features.Payments.Stripe;

/// <summary>
/// A webhook body and its Stripe-Signature header, checked and read by Stripe.net's
/// <see cref="EventUtility.ConstructEvent(string, string, string, long, long, bool)"/>: a v1 signature
/// with the endpoint secret over "t.body" and t within <see cref="ToleranceSeconds"/> of now, so a captured
/// event cannot be replayed later.
/// </summary>
public static class StripeEvents
{
    public const long ToleranceSeconds = 300;

    public enum Result { Valid, Stale, BadSignature, NotAnEvent }

    public static (Result Result, Event? Event) Read(string json, string? signatureHeader, string secret, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(signatureHeader) || string.IsNullOrEmpty(secret))
        {
            return (Result.BadSignature, null);
        }
        Event? evt;
        try
        {
            // Stripe sends events in the webhook endpoint's API version, which need not be the SDK's; a
            // mismatch is logged by the caller rather than refused, since Stripe would only retry it in vain.
            evt = EventUtility.ConstructEvent(json, signatureHeader, secret, ToleranceSeconds, now.ToUnixTimeSeconds(), throwOnApiVersionMismatch: false);
        }
        catch (StripeException)
        {
            return (SignedAtAnyTime(json, signatureHeader, secret) ? Result.Stale : Result.BadSignature, null);
        }
        catch (Exception e) when (e is JsonException or Newtonsoft.Json.JsonException or InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            // Signed, so from Stripe, but not an event object (not JSON, not an object, a thin event).
            return (Result.NotAnEvent, null);
        }
        return evt is { Id.Length: > 0, Type.Length: > 0, Data: not null } ? (Result.Valid, evt) : (Result.NotAnEvent, null);
    }

    /// <summary>The SDK's check failed; without a time limit it tells a good signature with a timestamp
    /// out of tolerance (stale) from a signature that does not match.</summary>
    private static bool SignedAtAnyTime(string json, string signatureHeader, string secret)
    {
        try
        {
            EventUtility.ValidateSignature(json, signatureHeader, secret, long.MaxValue);
            return true;
        }
        catch (StripeException)
        {
            return false;
        }
    }
}
