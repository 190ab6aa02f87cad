using Microsoft.AspNetCore.Http.HttpResults;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Payments;

/// <summary>
/// Our answers when the payment provider fails. The provider's own message stays in our logs: it can
/// name parameters, internal ids or request log URLs, and it is written for us, not for a shopper. A
/// failure the client can wait out carries Retry-After.
/// </summary>
public static class PaymentProblems
{
    public const int RetryAfterSeconds = 30;

    /// <param name="nothingHappened">What the failure left behind and how to retry, said to the caller (ends with a full stop).</param>
    public static ProblemHttpResult From(HttpContext http, PaymentProviderException e, string nothingHappened)
    {
        switch (e.Kind)
        {
            case PaymentFailure.Busy:
                http.Response.Headers.RetryAfter = "2";
                return Make(StatusCodes.Status409Conflict, "payment-in-progress", "The payment service is still working on this request",
                    $"{nothingHappened} Retry in a few seconds.");
            case PaymentFailure.Declined:
                return Make(StatusCodes.Status402PaymentRequired, "card-declined", "Payment declined",
                    $"{nothingHappened} The payment method was declined; try another one.");
            case PaymentFailure.Refused:
                return Make(StatusCodes.Status422UnprocessableEntity, "payment-refused", "The payment service refused the request",
                    $"{nothingHappened} The payment service did not accept this request; retrying it unchanged will not help. Contact the shop if it persists.");
            case PaymentFailure.Misconfigured:
                return Make(StatusCodes.Status502BadGateway, "payment-provider-misconfigured", "Payments are not set up correctly",
                    $"{nothingHappened} The shop's payment settings were refused by the payment service; the shop has to fix them.");
            default:
                http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Make(StatusCodes.Status503ServiceUnavailable, "payment-provider-unavailable", "Payments are unavailable",
                    $"{nothingHappened} The payment service did not answer; try again in a minute.");
        }
    }
}
