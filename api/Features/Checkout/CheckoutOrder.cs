using System.Globalization;
using Dapper;
using Headless.Api.Features.Carts;
using Headless.Api.Features.Orders;
using Headless.Api.Features.Payments;
using Headless.Api.Features.Pricing;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Telemetry;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Catalog;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;
using Order = Headless.Contracts.Commerce.Order;

namespace Headless.Api.Features.Checkout;

/// <summary>
/// Checkout step 3: the order and its stock reservation, in one short transaction of two round trips and
/// a commit (the key and the cart; then the order's rows with the reservation last, so a hot SKU's row is
/// locked for as short a time as possible). Stock for every line is reserved by a conditional update on
/// rows locked in SKU order (<see cref="Reservations"/>), so concurrent checkouts never take more than
/// there is and never deadlock. Whatever refuses, the whole transaction rolls back. Nothing here talks to
/// the payment provider: the answer stored under the Idempotency-Key is provisional (202) until the intent
/// is attached. That record is a reference (the order id and the order's token, data-protected), not the answer,
/// which holds the contact and addresses: a retry rebuilds it from the order (<see cref="CheckoutAnswer"/>).
/// </summary>
public static class CheckoutOrder
{
    // Closes exactly the cart version that was priced: one checkout per cart, no edits in between.
    private const string CloseCartSql = """
        update carts set status = 'checked_out', version = version + 1, updated_at = now()
        where id = @cartId and version = @cartVersion and status = 'open'
        returning 1;
        """;

    private const string InsertOrderSql = """
        insert into orders (id, number, cart_id, customer_id, access_token_hash, status, person_id, person_region, ship_country, ship_region,
            currency, subtotal, discount_total, shipping_total, tax_total, total, prices_include_tax, tax_rate_basis_points,
            shipping_method, shipping_method_name, discount_code, reservation, reservation_expires_at)
        values (@orderId, @number, @cartId, @customerId, @tokenHash, 'pending_payment', @personId, @personRegion,
            @shipCountry, @shipRegion, @currency, @subtotal, @discountTotal, @shipping, @tax, @total, @taxIncluded, @taxRate,
            @method, @methodName, @discountCode, 'held', @expiresAt);

        insert into order_lines (order_id, sku, product_id, product_slug, title, variant_title, unit_price, quantity, line_total)
        select @orderId, l.sku, l.product_id, l.product_slug, l.title, l.variant_title, l.unit_price, l.quantity, l.unit_price * l.quantity
        from unnest(@skus, @productIds, @slugs, @titles, @variantTitles, @unitPrices, @quantities)
             as l(sku, product_id, product_slug, title, variant_title, unit_price, quantity);

        insert into order_events (order_id, from_status, to_status, actor, note)
        values (@orderId, null, 'pending_payment', @actor, 'checkout');
        """;

    /// <summary>A stored answer with this status means: the order exists, its payment is not attached yet.</summary>
    public const int AwaitingPayment = StatusCodes.Status202Accepted;

    /// <summary>The order to create. Its id is made up front: the contact and addresses are already in the person's
    /// vault under that id (<see cref="OrderContact"/>); the core row names only the person.</summary>
    public sealed record Draft(Guid OrderId, CartStore.LoadedCart Cart, CartPricing.Priced Priced, PersonRef Person, string Email, OrderAddress ShipTo, OrderAddress BillTo);

    /// <summary>The order waiting for its payment, or a refusal; or, when another request with the same key
    /// got there first, what it stored (<paramref name="Raced"/>).</summary>
    public sealed record Outcome(CheckoutStep Step, Platform.Http.Idempotency.Reference? Raced = null);

    public static async Task<Outcome> CreateAsync(NpgsqlConnection conn, Draft draft, CheckoutAttempt attempt,
        Platform.Http.Idempotency idempotency, IPaymentProvider payments, int reservationMinutes, CancellationToken ct)
    {
        var (cart, priced) = (draft.Cart, draft.Priced);
        var orderId = draft.OrderId;
        var orderToken = CartTokens.New();
        var location = $"/api/v1/orders/{orderId}";

        await using var tx = await conn.BeginTransactionAsync(ct);
        // Round trip 1: hold the key, look for a stored answer, close the cart we priced, number the order, and read the
        // transaction's time (the order's created_at and first event default to it: the answer shows exactly what is stored).
        bool locked;
        Platform.Http.Idempotency.Row? storedRow;
        int closed;
        long number;
        DateTime placedAt;
        using (var first = await conn.QueryMultipleAsync(Platform.Http.Idempotency.LockSql + Platform.Http.Idempotency.FindSql + CloseCartSql
            + "select nextval('order_numbers');" + "select now();", new
            {
                idemName = attempt.Scope + "\n" + attempt.Key,
                idemScope = attempt.Scope,
                idemKey = attempt.Key,
                idemRetention = Platform.Http.Idempotency.Retention,
                cartId = cart.Row.Id,
                cartVersion = cart.Row.Version,
            }, tx))
        {
            locked = await first.ReadSingleAsync<bool>();
            storedRow = await first.ReadSingleOrDefaultAsync<Platform.Http.Idempotency.Row>();
            closed = (await first.ReadAsync<int>()).Count();
            number = await first.ReadSingleAsync<long>();
            placedAt = await first.ReadSingleAsync<DateTime>();
        }
        if (!locked)
        {
            return new(CheckoutStep.Of(Platform.Http.Idempotency.InFlight()));
        }
        if (idempotency.DecodeReference(storedRow, ApiJsonContext.Default.CheckoutResult, EarlierForm) is { } raced)
        {
            return new(default, raced);
        }
        if (closed == 0)
        {
            return new(CheckoutStep.Of(Make(StatusCodes.Status409Conflict, "cart-changed", "The cart changed",
                "The cart changed or was checked out while you were checking out. Read it again and retry.")));
        }
        if (priced.Discount is { } discount && !await DiscountCodes.TryUseAsync(conn, tx, discount.Code))
        {
            return new(CheckoutStep.Of(CreateCheckout.DiscountProblem("This discount code has just been used up.")));
        }

        var result = Result(draft, orderId, "HL-" + number.ToString(CultureInfo.InvariantCulture), orderToken, placedAt, reservationMinutes, attempt, payments);
        // Round trip 2: the order, its lines and history, the provisional answer, then (last before commit)
        // the stock ledger's note, the reservation and the outbox rows.
        var lines = cart.Lines.Select(l => (l.Sku, l.Quantity)).ToList();
        HashSet<string> reserved;
        using (var second = await conn.QueryMultipleAsync(InsertOrderSql + Platform.Http.Idempotency.StoreReferenceSql + Catalog.StockLedger.NoteSql + Reservations.ReserveSql,
            Parameters(draft, result, orderToken, attempt, location, idempotency.ProtectSecret(orderToken)), tx))
        {
            await second.ReadAsync();
            reserved = (await second.ReadAsync<string>()).ToHashSet(StringComparer.Ordinal);
        }
        if (reserved.Count != lines.Count)
        {
            await tx.RollbackAsync(ct);
            return new(CheckoutStep.Of(OutOfStock(await Reservations.ShortagesAsync(conn, lines, reserved))));
        }
        await tx.CommitAsync(ct);
        HeadlessMetrics.OrderCreated();
        return new(CheckoutStep.Of(new PlacedOrder(result, location, PaymentAttempt: 0, cart.Row.Id)));
    }

    /// <summary>Where the order behind a provisional answer stands: its number, and whether it still waits for its payment
    /// (not released by the sweeper, no intent attached by a concurrent retry); null when there is no such order.</summary>
    public static Task<PaymentState?> PaymentStateAsync(NpgsqlConnection conn, Guid orderId) =>
        conn.QuerySingleOrDefaultAsync<PaymentState>("""
            select o.number, o.payment_attempt, o.cart_id,
                   o.status = 'pending_payment' and o.reservation = 'held' and not exists (select 1 from payments p where p.order_id = o.id) as awaiting
            from orders o where o.id = @orderId
            """, new { orderId });

    public sealed record PaymentState(string Number, int PaymentAttempt, Guid? CartId, bool Awaiting);

    /// <summary>A record the release before references wrote (the whole answer): its order and token.</summary>
    public static (Guid Id, string? Secret) EarlierForm(CheckoutResult stored) => (stored.Order.Id, stored.OrderToken);

    private static CheckoutResult Result(Draft draft, Guid orderId, string number, string orderToken, DateTime placedAt, int reservationMinutes,
        CheckoutAttempt attempt, IPaymentProvider payments)
    {
        var (lines, priced) = (draft.Cart.Lines, draft.Priced);
        var currency = draft.Cart.Row.Currency.Trim();
        var t = priced.Totals;
        var placed = OrderStore.Utc(placedAt);
        return new CheckoutResult(
            CheckoutAnswer.InLineOrder(new Order(orderId, number, "pending_payment", draft.Email, draft.ShipTo, draft.BillTo,
                lines.Select(l => new OrderLine(l.Sku, l.ProductId, l.ProductSlug, l.Title, l.VariantTitle, new Money(l.UnitPrice, currency), l.Quantity,
                    new Money(l.UnitPrice * l.Quantity, currency))).ToList(),
                new OrderTotals(new(t.Subtotal, currency), new(t.Discount, currency), new(t.Shipping, currency), new(t.Tax, currency),
                    new(t.Total, currency), new(0, currency), t.TaxIncluded, t.TaxRateBasisPoints),
                priced.Method!.Code, priced.Method.Name, priced.Discount?.Code, "none", "held",
                placed.AddMinutes(reservationMinutes), null,
                [new OrderEvent(null, "pending_payment", attempt.Actor, "checkout", placed)],
                1, placed, null)),
            orderToken,
            // Filled in when the intent is attached (CheckoutPayment).
            CheckoutAnswer.Session(payments, new Money(t.Total, currency), null));
    }

    private static object Parameters(Draft draft, CheckoutResult result, string orderToken, CheckoutAttempt attempt, string location, string protectedToken)
    {
        var (lines, priced, t) = (draft.Cart.Lines, draft.Priced, draft.Priced.Totals);
        return new
        {
            orderId = result.Order.Id,
            number = result.Order.Number,
            cartId = draft.Cart.Row.Id,
            customerId = attempt.CustomerId,
            tokenHash = CartTokens.Hash(orderToken),
            personId = draft.Person.Id,
            personRegion = draft.Person.Region,
            shipCountry = draft.ShipTo.Country,
            shipRegion = draft.ShipTo.Region,
            currency = draft.Cart.Row.Currency.Trim(),
            subtotal = t.Subtotal,
            discountTotal = t.Discount,
            shipping = t.Shipping,
            tax = t.Tax,
            total = t.Total,
            taxIncluded = t.TaxIncluded,
            taxRate = t.TaxRateBasisPoints,
            method = priced.Method!.Code,
            methodName = priced.Method.Name,
            discountCode = priced.Discount?.Code,
            expiresAt = result.Order.ReservationExpiresAt.UtcDateTime,
            skus = lines.Select(l => l.Sku).ToArray(),
            productIds = lines.Select(l => l.ProductId).ToArray(),
            slugs = lines.Select(l => l.ProductSlug).ToArray(),
            titles = lines.Select(l => l.Title).ToArray(),
            variantTitles = lines.Select(l => l.VariantTitle).ToArray(),
            unitPrices = lines.Select(l => l.UnitPrice).ToArray(),
            quantities = lines.Select(l => l.Quantity).ToArray(),
            actor = attempt.Actor,
            stockReason = $"reserved for order {result.Order.Id}",
            stockActor = "checkout",
            traceParent = TraceContext.Current,
            idemScope = attempt.Scope,
            idemKey = attempt.Key,
            idemHash = attempt.Fingerprint,
            idemStatus = AwaitingPayment,
            idemLocation = location,
            idemResourceId = result.Order.Id,
            idemSecret = protectedToken,
        };
    }

    private static ProblemHttpResult OutOfStock(IReadOnlyList<Reservations.Shortage> shortages) =>
        Make(StatusCodes.Status409Conflict, "out-of-stock", "Some items sold out",
            string.Join(" ", shortages.Select(s => s.Available <= 0 ? $"SKU '{s.Sku}' is sold out." : $"Only {s.Available} of SKU '{s.Sku}' left.")) +
            " Nothing was reserved or charged; update the cart and check out again.",
            shortages.ToDictionary(s => "lines." + s.Sku, s => new[] { $"Available: {Math.Max(s.Available, 0)}." }));
}
