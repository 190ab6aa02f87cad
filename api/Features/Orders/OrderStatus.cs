namespace Headless.Api.Features.Orders;

/// <summary>The order lifecycle. pending_payment → paid → fulfilled → delivered; pending_payment or
/// paid → canceled; paid, fulfilled or delivered → partially_refunded → refunded.</summary>
public static class OrderStatus
{
    public const string PendingPayment = "pending_payment";
    public const string Paid = "paid";
    public const string Fulfilled = "fulfilled";
    public const string Delivered = "delivered";
    public const string Canceled = "canceled";
    public const string Refunded = "refunded";
    public const string PartiallyRefunded = "partially_refunded";

    public static readonly string[] All = [PendingPayment, Paid, Fulfilled, Delivered, Canceled, Refunded, PartiallyRefunded];

    /// <summary>States a refund may be taken from (money was received and not all given back).</summary>
    public static readonly string[] Refundable = [Paid, Fulfilled, Delivered, PartiallyRefunded, Canceled];
}
