using Dapper;
using Headless.Api.Features.Orders;
using Headless.Api.Features.Payments;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Catalog;
using Headless.Contracts.Commerce;
using Npgsql;
using Order = Headless.Contracts.Commerce.Order;

namespace Headless.Api.Features.Checkout;

/// <summary>
/// A checkout's answer rebuilt from its order, for a retry under the same Idempotency-Key. The key's record holds
/// only the order id and the order's access token (data-protected): the contact and addresses stay in the person's
/// vault, read here as the order detail reads them. Right after the checkout the rebuilt answer equals the first
/// one field by field (the first answer is built the same way: lines in SKU order, times from the transaction);
/// later it shows the order as it is now, like a read of it: paid, shipped, or erased (blank contact,
/// ContactErased true) if the customer was erased in between.
/// </summary>
public static class CheckoutAnswer
{
    private const string PaymentSql = "select provider, provider_ref, client_secret, status from payments where order_id = @orderId";

    public static async Task<CheckoutResult?> RebuildAsync(NpgsqlConnection conn, PersonalDataVault vault, IPaymentProvider payments,
        Guid orderId, string orderToken, CancellationToken ct)
    {
        if (await OrderStore.LoadAsync(conn, orderId) is not { } loaded)
        {
            return null;
        }
        var intent = await conn.QuerySingleOrDefaultAsync<AttachedIntent>(PaymentSql, new { orderId });
        var order = await loaded.ToContractAsync(vault, ct);
        return new CheckoutResult(InLineOrder(order), orderToken, Session(payments, order.Totals.Total, intent));
    }

    /// <summary>Lines in ordinal SKU order, the same in the first answer and in a rebuilt one, whatever the database's collation.</summary>
    public static Order InLineOrder(Order order) => order with { Lines = [.. order.Lines.OrderBy(l => l.Sku, StringComparer.Ordinal)] };

    /// <summary>The payment part: the attached intent, or (before one is attached) the provider with nothing to confirm yet.</summary>
    public static PaymentSession Session(IPaymentProvider payments, Money amount, AttachedIntent? intent) =>
        new(intent?.Provider ?? payments.Name, payments.TestMode, intent?.ProviderRef ?? "", intent?.ClientSecret ?? "", payments.PublishableKey, amount,
            intent?.Status ?? "none");

    public sealed record AttachedIntent(string Provider, string ProviderRef, string ClientSecret, string Status);
}
