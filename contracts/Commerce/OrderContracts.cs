using Headless.Contracts.Catalog;

namespace Headless.Contracts.Commerce;

public sealed record CheckoutAddress(
    string? FullName,
    string? Line1,
    string? Line2,
    string? City,
    string? Region,
    string? PostalCode,
    string? Country,
    string? Phone);

/// <summary>Turns a cart into an order. Email is optional for signed-in customers (their account's).
/// BillingAddress defaults to the shipping address; ShippingMethod and DiscountCode to the cart's.</summary>
public sealed record CheckoutRequest(
    string? CartToken,
    string? Email,
    CheckoutAddress? ShippingAddress,
    CheckoutAddress? BillingAddress,
    string? ShippingMethod,
    string? DiscountCode);

/// <summary>The order (stock reserved until Order.ReservationExpiresAt), the token a guest reads it
/// with, and what the browser needs to take the payment.</summary>
public sealed record CheckoutResult(Order Order, string OrderToken, PaymentSession Payment);

/// <summary>Provider "stripe": confirm ClientSecret with Stripe.js and PublishableKey. Provider
/// "test" (TestMode true, no money moves): post a test card to /api/v1/test-payments/{id}/confirm.</summary>
public sealed record PaymentSession(string Provider, bool TestMode, string PaymentIntentId, string ClientSecret, string? PublishableKey, Money Amount, string Status);

public sealed record OrderAddress(string FullName, string Line1, string Line2, string City, string Region, string PostalCode, string Country, string Phone);

public sealed record OrderLine(string Sku, Guid ProductId, string ProductSlug, string Title, string VariantTitle, Money UnitPrice, int Quantity, Money LineTotal);

public sealed record OrderTotals(Money Subtotal, Money Discount, Money Shipping, Money Tax, Money Total, Money Refunded, bool TaxIncluded, int TaxRateBasisPoints);

public sealed record Shipment(string Carrier, string TrackingNumber);

public sealed record OrderEvent(string? From, string To, string Actor, string Note, DateTimeOffset At);

/// <summary>An order. ContactErased: its customer was erased (GDPR); Email and the addresses are blank but for the
/// shipping country and region, while amounts, lines and number stay (tax law keeps them).</summary>
public sealed record Order(
    Guid Id,
    string Number,
    string Status,
    string Email,
    OrderAddress ShippingAddress,
    OrderAddress BillingAddress,
    IReadOnlyList<OrderLine> Lines,
    OrderTotals Totals,
    string ShippingMethod,
    string ShippingMethodName,
    string? DiscountCode,
    string PaymentStatus,
    string Reservation,
    DateTimeOffset ReservationExpiresAt,
    Shipment? Shipment,
    IReadOnlyList<OrderEvent> History,
    int Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset? PaidAt,
    bool ContactErased = false);

/// <summary>An order in a list. ContactErased: its customer was erased and Email is blank.</summary>
public sealed record OrderSummary(Guid Id, string Number, string Status, string Email, Money Total, int ItemCount, DateTimeOffset CreatedAt, bool ContactErased = false);

public sealed record OrderPage(IReadOnlyList<OrderSummary> Items, string? NextCursor);

/// <summary>Test provider only: the card a shopper typed. 4242 4242 4242 4242 succeeds,
/// 4000 0000 0000 0002 is declined, like Stripe test mode.</summary>
public sealed record TestCardRequest(string? CardNumber, string? Expiry, string? Cvc);

public sealed record ShipOrderRequest(string? Carrier, string? TrackingNumber);

public sealed record CancelOrderRequest(string? Reason);

/// <summary>Amount in minor units; left out, everything not yet refunded.</summary>
public sealed record RefundRequest(long? Amount, string? Reason);

public sealed record Refund(Guid Id, Money Amount, string Reason, string Status, DateTimeOffset CreatedAt);

public sealed record RefundResult(Refund Refund, Order Order);

/// <summary>One step of an order's life for staff. Kind: placed, payment_started, payment_processing,
/// payment_failed, payment_mismatch, paid, shipped, delivered, canceled, refund_requested, refund_failed,
/// refunded, note. Actor is "user:{id}", "api-key:{id}", "system:{name}" or "anonymous"; ActorEmail names
/// a person when the actor is an account.</summary>
public sealed record OrderTimelineEntry(
    string Kind,
    DateTimeOffset At,
    string Actor,
    string? ActorEmail,
    string? FromStatus,
    string? ToStatus,
    string Note,
    string? Carrier,
    string? TrackingNumber,
    Money? Amount);

public sealed record OrderTimeline(Guid OrderId, string Number, IReadOnlyList<OrderTimelineEntry> Items);
