using System.Security.Claims;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Json;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Headless.Api.Features.Checkout;

/// <summary>One checkout request as its Idempotency-Key sees it: whose, which key, what was asked.</summary>
public sealed record CheckoutAttempt(Guid? CustomerId, string Scope, string Key, byte[] Fingerprint)
{
    public static CheckoutAttempt Of(ClaimsPrincipal user, string key, CheckoutRequest request)
    {
        var customerId = user.UserId();
        return new CheckoutAttempt(customerId, "checkout:" + (customerId?.ToString() ?? "guest"), key,
            Platform.Http.Idempotency.Fingerprint("CreateCheckout", "", request, ApiJsonContext.Default.CheckoutRequest));
    }

    public string Actor => CustomerId is { } c ? "user:" + c : "guest";
}

/// <summary>An order that exists, its stock held, and waits for its PaymentIntent: just created, or found
/// under the Idempotency-Key by a retry. Result is the answer to give once the intent is attached.</summary>
public sealed record PlacedOrder(CheckoutResult Result, string Location, int PaymentAttempt, Guid CartId);

/// <summary>Where a checkout step left off: an order to pay for, or the answer to give now.</summary>
public readonly record struct CheckoutStep(PlacedOrder? Order, Results<Created<CheckoutResult>, ProblemHttpResult>? Answer)
{
    public static CheckoutStep Of(PlacedOrder order) => new(order, null);
    public static CheckoutStep Of(ProblemHttpResult problem) => new(null, problem);
    public static CheckoutStep Of(Created<CheckoutResult> created) => new(null, created);
}
