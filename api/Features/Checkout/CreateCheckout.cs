using System.Text.Json;
using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Features.Carts;
using Headless.Api.Features.Payments;
using Headless.Api.Features.Pricing;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Geography;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Json;
using Headless.Contracts.Catalog;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;
using Order = Headless.Contracts.Commerce.Order;

namespace Headless.Api.Features.Checkout;

/// <summary>
/// Cart → order. Stock for every line is reserved in the same transaction that creates the order, by
/// a conditional update (available ≥ quantity) on rows locked in SKU order, so concurrent checkouts can
/// never take more than there is and never deadlock. The order waits in pending_payment with its stock
/// held until it is paid or the reservation expires.
/// </summary>
public sealed class CreateCheckout(
    NpgsqlDataSource db, PricingRules rules, IPaymentProvider payments, Idempotency idempotency, IOptions<CheckoutOptions> options, ILogger<CreateCheckout> log)
    : Endpoint<CreateCheckout.Request, Results<Created<CheckoutResult>, ProblemHttpResult>>
{
    // Closes exactly the cart version that was priced: one checkout per cart, no edits in between.
    private const string CloseCartSql = """
        update carts set status = 'checked_out', version = version + 1, updated_at = now()
        where id = @cartId and version = @cartVersion and status = 'open'
        returning 1;
        """;

    public override void Configure()
    {
        Post("/checkouts");
        Group<PublicApi>();
        AllowAnonymous();
        Description(b => b.WithName("CreateCheckout").WithTags("Checkout")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable));
        Summary(s =>
        {
            s.Summary = "Check out a cart: reserve its stock, create the order (pending payment) and its payment";
            s.Description = "Requires an Idempotency-Key: a retry with the same key and body returns the same order; never a second one.";
        });
    }

    public sealed class Request : JsonBody<CheckoutRequest>;

    public sealed class Validator(IValidator<CheckoutRequest> rules) : JsonBodyValidator<Request, CheckoutRequest>(rules);

    public override async Task<Results<Created<CheckoutResult>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = (req.Body, HttpContext);
        // Qualified: FastEndpoints' Endpoint has an Idempotency() method of its own.
        var (key, keyProblem) = Platform.Http.Idempotency.Read(http);
        if (keyProblem is not null || key is null)
        {
            return keyProblem ?? Platform.Http.Idempotency.Required();
        }
        var customerId = http.User.UserId();
        var scope = "checkout:" + (customerId?.ToString() ?? "guest");
        var fingerprint = Platform.Http.Idempotency.Fingerprint("CreateCheckout", "", request, ApiJsonContext.Default.CheckoutRequest);

        await using var conn = await db.OpenConnectionAsync(ct);
        if (payments.Name != "test" && await idempotency.FindAsync(conn, null, scope, key, ApiJsonContext.Default.CheckoutResult) is { } early)
        {
            // Answer a replay before asking the payment provider for anything.
            return Replay(http, early, fingerprint);
        }

        var (cart, cartProblem) = await CartStore.ResolveAsync(conn, request.CartToken!, http.User);
        if (cartProblem is not null)
        {
            return cartProblem;
        }
        var email = request.Email;
        if (string.IsNullOrEmpty(email))
        {
            email = customerId is { } id ? await conn.ExecuteScalarAsync<string?>("select email from users where id = @id", new { id }) : null;
            if (string.IsNullOrEmpty(email))
            {
                return Validation("email", "An email address is required, for the order confirmation.");
            }
        }
        var shipTo = Normalize(request.ShippingAddress!);
        var billTo = request.BillingAddress is { } billing ? Normalize(billing) : shipTo;
        var choices = new CartPricing.Choices(shipTo.Country, shipTo.Region.Length > 0 ? shipTo.Region : null,
            request.ShippingMethod ?? cart!.Row.ShippingMethod,
            request.DiscountCode is { Length: > 0 } code ? DiscountCodes.Normalize(code) : request.DiscountCode is null ? cart!.Row.DiscountCode : null);
        var priced = await CartPricing.PriceAsync(conn, rules, cart!, choices, ct);
        if (Refusal(priced, cart!.Row.Status) is { } refusal)
        {
            // A replay of a checkout that already closed this cart still gets its stored answer.
            if (payments.Name == "test" && await idempotency.FindAsync(conn, null, scope, key, ApiJsonContext.Default.CheckoutResult) is { } stored)
            {
                return Replay(http, stored, fingerprint);
            }
            return refusal;
        }

        var currency = cart.Row.Currency.Trim();
        var orderId = Guid.CreateVersion7();
        PaymentIntentInfo intent;
        try
        {
            intent = await payments.CreateIntentAsync(new PaymentIntentCreate(priced.Totals.Total, currency,
                $"hl-checkout-{Convert.ToHexStringLower(fingerprint)[..32]}-{cart.Row.Id:N}-v{cart.Row.Version}",
                "Headless order", new Dictionary<string, string> { ["cart_id"] = cart.Row.Id.ToString() }), ct);
        }
        catch (PaymentProviderException e)
        {
            log.LogWarning("Payment provider refused to create an intent: {Error} ({Code})", e.Message, e.Code);
            if (e.Unavailable)
            {
                // Stripe keeps a failed answer under its idempotency key for a day; the intent's key contains
                // the cart version, so bumping it lets the shopper's retry ask afresh.
                await conn.ExecuteAsync("update carts set version = version + 1 where id = @id and version = @version and status = 'open'",
                    new { id = cart.Row.Id, version = cart.Row.Version });
            }
            return e.Unavailable
                ? Make(StatusCodes.Status503ServiceUnavailable, "payment-provider-unavailable", "Payments are unavailable",
                    "The payment service did not answer. Nothing was charged and no stock is held: try again in a minute with the same Idempotency-Key.")
                : Make(StatusCodes.Status422UnprocessableEntity, "payment-refused", "The payment service refused the order", e.Message);
        }

        var orderToken = CartTokens.New();
        var expiresAt = DateTime.UtcNow.AddMinutes(options.Value.ReservationMinutes);
        var lines = cart.Lines;
        var t = priced.Totals;
        var actor = customerId is { } c ? "user:" + c : "guest";
        var location = $"/api/v1/orders/{orderId}";

        await using var tx = await conn.BeginTransactionAsync(ct);
        // Round trip 1: hold the key, look for a stored answer, close the cart we priced (one checkout per
        // cart, no edits in between). Whatever the outcome, a refusal rolls all of it back.
        bool locked;
        Platform.Http.Idempotency.Row? storedRow;
        int closed;
        long number;
        using (var first = await conn.QueryMultipleAsync(Platform.Http.Idempotency.LockSql + Platform.Http.Idempotency.FindSql + CloseCartSql + "select nextval('order_numbers');", new
        {
            idemName = scope + "\n" + key,
            idemScope = scope,
            idemKey = key,
            idemRetention = Platform.Http.Idempotency.Retention,
            cartId = cart.Row.Id,
            cartVersion = cart.Row.Version,
        }, tx))
        {
            locked = await first.ReadSingleAsync<bool>();
            storedRow = await first.ReadSingleOrDefaultAsync<Platform.Http.Idempotency.Row>();
            closed = (await first.ReadAsync<int>()).Count();
            number = await first.ReadSingleAsync<long>();
        }
        if (!locked)
        {
            return Platform.Http.Idempotency.InFlight();
        }
        if (idempotency.Decode(storedRow, ApiJsonContext.Default.CheckoutResult) is { } raced)
        {
            return Replay(http, raced, fingerprint);
        }
        if (closed == 0)
        {
            return Make(StatusCodes.Status409Conflict, "cart-changed", "The cart changed",
                "The cart changed or was checked out while you were checking out. Read it again and retry.");
        }
        if (priced.Discount is { } discount && !await DiscountCodes.TryUseAsync(conn, tx, discount.Code))
        {
            return DiscountProblem("This discount code has just been used up.");
        }

        var result = new CheckoutResult(
            new Order(orderId, "HL-" + number.ToString(System.Globalization.CultureInfo.InvariantCulture), "pending_payment", email, shipTo, billTo,
                lines.Select(l => new OrderLine(l.Sku, l.ProductId, l.ProductSlug, l.Title, l.VariantTitle, new Money(l.UnitPrice, currency), l.Quantity,
                    new Money(l.UnitPrice * l.Quantity, currency))).ToList(),
                new OrderTotals(new(t.Subtotal, currency), new(t.Discount, currency), new(t.Shipping, currency), new(t.Tax, currency),
                    new(t.Total, currency), new(0, currency), t.TaxIncluded, t.TaxRateBasisPoints),
                priced.Method!.Code, priced.Method.Name, priced.Discount?.Code, intent.Status, "held",
                new DateTimeOffset(expiresAt, TimeSpan.Zero), null,
                [new OrderEvent(null, "pending_payment", actor, "checkout", DateTimeOffset.UtcNow)],
                1, DateTimeOffset.UtcNow, null),
            orderToken,
            new PaymentSession(payments.Name, payments.TestMode, intent.Id, intent.ClientSecret, payments.PublishableKey,
                new Money(t.Total, currency), intent.Status));

        // Round trip 2: the order, its lines, payment, history, event and the stored answer.
        await conn.ExecuteAsync($"""
            insert into orders (id, number, cart_id, customer_id, access_token_hash, status, email, shipping_address, billing_address,
                currency, subtotal, discount_total, shipping_total, tax_total, total, prices_include_tax, tax_rate_basis_points,
                shipping_method, shipping_method_name, discount_code, reservation, reservation_expires_at)
            values (@orderId, @number, @cartId, @customerId, @tokenHash, 'pending_payment', @email,
                @shipTo::jsonb, @billTo::jsonb, @currency, @subtotal, @discountTotal, @shipping, @tax, @total, @taxIncluded, @taxRate,
                @method, @methodName, @discountCode, 'held', @expiresAt);

            insert into order_lines (order_id, sku, product_id, product_slug, title, variant_title, unit_price, quantity, line_total)
            select @orderId, l.sku, l.product_id, l.product_slug, l.title, l.variant_title, l.unit_price, l.quantity, l.unit_price * l.quantity
            from unnest(@skus, @productIds, @slugs, @titles, @variantTitles, @unitPrices, @quantities)
                 as l(sku, product_id, product_slug, title, variant_title, unit_price, quantity);

            insert into payments (id, order_id, provider, provider_ref, client_secret, status, amount, currency)
            values (@paymentId, @orderId, @provider, @intentId, @clientSecret, @intentStatus, @total, @currency);

            insert into order_events (order_id, from_status, to_status, actor, note)
            values (@orderId, null, 'pending_payment', @actor, 'checkout');

            insert into outbox (topic, aggregate_type, aggregate_id, payload)
            values ('order.created', 'order', @orderId::text, jsonb_build_object());

            {Platform.Http.Idempotency.StoreSql}
            """, new
        {
            orderId,
            number = result.Order.Number,
            cartId = cart.Row.Id,
            customerId,
            tokenHash = CartTokens.Hash(orderToken),
            email,
            shipTo = JsonSerializer.Serialize(shipTo, ApiJsonContext.Default.OrderAddress),
            billTo = JsonSerializer.Serialize(billTo, ApiJsonContext.Default.OrderAddress),
            currency,
            subtotal = t.Subtotal,
            discountTotal = t.Discount,
            shipping = t.Shipping,
            tax = t.Tax,
            total = t.Total,
            taxIncluded = t.TaxIncluded,
            taxRate = t.TaxRateBasisPoints,
            method = priced.Method.Code,
            methodName = priced.Method.Name,
            discountCode = priced.Discount?.Code,
            expiresAt,
            skus = lines.Select(l => l.Sku).ToArray(),
            productIds = lines.Select(l => l.ProductId).ToArray(),
            slugs = lines.Select(l => l.ProductSlug).ToArray(),
            titles = lines.Select(l => l.Title).ToArray(),
            variantTitles = lines.Select(l => l.VariantTitle).ToArray(),
            unitPrices = lines.Select(l => l.UnitPrice).ToArray(),
            quantities = lines.Select(l => l.Quantity).ToArray(),
            paymentId = Guid.CreateVersion7(),
            provider = payments.Name,
            intentId = intent.Id,
            clientSecret = intent.ClientSecret,
            intentStatus = intent.Status,
            actor,
            idemScope = scope,
            idemKey = key,
            idemHash = fingerprint,
            idemStatus = StatusCodes.Status201Created,
            idemLocation = location,
            idemResponse = idempotency.Protect(result, ApiJsonContext.Default.CheckoutResult),
        }, tx);

        // Round trip 3, last before commit, so a hot SKU's row is locked for as short a time as possible.
        var shortages = await Reservations.ReserveAsync(conn, tx, orderId, lines.Select(l => (l.Sku, l.Quantity)).ToList());
        if (shortages.Count > 0)
        {
            await tx.RollbackAsync(ct);
            return OutOfStock(shortages);
        }
        await tx.CommitAsync(ct);
        return TypedResults.Created(location, result);
    }

    private static Results<Created<CheckoutResult>, ProblemHttpResult> Replay(HttpContext http, Platform.Http.Idempotency.Stored<CheckoutResult> stored, byte[] fingerprint)
    {
        if (!stored.Matches(fingerprint))
        {
            return Platform.Http.Idempotency.Mismatch();
        }
        Platform.Http.Idempotency.MarkReplayed(http);
        return TypedResults.Created(stored.Location, stored.Body);
    }

    private static ProblemHttpResult? Refusal(CartPricing.Priced priced, string cartStatus)
    {
        if (cartStatus != "open")
        {
            return Make(StatusCodes.Status409Conflict, "cart-closed", "The cart is closed",
                cartStatus == "merged" ? "This cart was merged into a customer's cart; check out that cart." : "This cart has already been checked out.");
        }
        if (priced.Cart.Lines.Count == 0)
        {
            return Make(StatusCodes.Status422UnprocessableEntity, "cart-empty", "The cart is empty", "Add something to the cart before checking out.");
        }
        var stock = priced.Issues.Where(i => i.Code is "insufficient-stock" or "unavailable" or "currency-mismatch").ToList();
        if (stock.Count > 0)
        {
            return Make(StatusCodes.Status409Conflict, "out-of-stock", "Some items cannot be bought",
                string.Join(" ", stock.Select(i => i.Message)),
                stock.ToDictionary(i => "lines." + i.Sku, i => new[] { i.Message }));
        }
        if (priced.Issues.FirstOrDefault(i => i.Code == "discount-not-applicable") is { } discount)
        {
            return DiscountProblem(discount.Message);
        }
        if (priced.Method is null)
        {
            var options = priced.Options.Count == 0
                ? $"Nothing ships this cart to {priced.Choices.Country}."
                : $"Choose one of: {string.Join(", ", priced.Options.Select(o => o.Code))}.";
            return Make(StatusCodes.Status422UnprocessableEntity, "shipping-method-unavailable", "Choose a shipping method",
                $"{(priced.Choices.ShippingMethod is null ? "No shipping method was chosen." : $"'{priced.Choices.ShippingMethod}' does not ship here.")} {options}",
                new Dictionary<string, string[]> { ["shippingMethod"] = [options] });
        }
        return null;
    }

    private static ProblemHttpResult DiscountProblem(string message) =>
        Make(StatusCodes.Status422UnprocessableEntity, "discount-not-applicable", "Discount code cannot be used", message,
            new Dictionary<string, string[]> { ["discountCode"] = [message] });

    private static ProblemHttpResult OutOfStock(IReadOnlyList<Reservations.Shortage> shortages) =>
        Make(StatusCodes.Status409Conflict, "out-of-stock", "Some items sold out",
            string.Join(" ", shortages.Select(s => s.Available <= 0 ? $"SKU '{s.Sku}' is sold out." : $"Only {s.Available} of SKU '{s.Sku}' left.")) +
            " Nothing was reserved or charged; update the cart and check out again.",
            shortages.ToDictionary(s => "lines." + s.Sku, s => new[] { $"Available: {Math.Max(s.Available, 0)}." }));

    private static OrderAddress Normalize(CheckoutAddress a) => new(
        a.FullName!.Trim(), a.Line1!.Trim(), a.Line2?.Trim() ?? "", a.City!.Trim(), a.Region?.Trim().ToUpperInvariant() ?? "",
        a.PostalCode!.Trim().ToUpperInvariant(), a.Country!, a.Phone?.Trim() ?? "");
}

public sealed class CheckoutRequestValidator : AbstractValidator<CheckoutRequest>
{
    public CheckoutRequestValidator()
    {
        RuleFor(r => r.CartToken).NotEmpty().WithMessage("cartToken is required.")
            .Must(t => t == CartStore.Mine || CartTokens.LooksValid(t)).WithMessage("cartToken is a cart's token, or 'mine'.");
        RuleFor(r => r.Email).MaximumLength(254).EmailAddress().WithMessage("Use a valid email address.")
            .Must(e => e is null || !e.Any(char.IsControl)).WithMessage("Use a valid email address.");
        RuleFor(r => r.ShippingAddress).NotNull().WithMessage("shippingAddress is required.").SetValidator(new CheckoutAddressValidator()!);
        RuleFor(r => r.BillingAddress).SetValidator(new CheckoutAddressValidator()!).When(r => r.BillingAddress is not null);
        RuleFor(r => r.ShippingMethod).MaximumLength(50);
        RuleFor(r => r.DiscountCode).MaximumLength(50);
    }
}

public sealed class CheckoutAddressValidator : AbstractValidator<CheckoutAddress>
{
    public CheckoutAddressValidator()
    {
        RuleFor(a => a.FullName).NotEmpty().WithMessage("A name is required.").MaximumLength(200).Must(NoControl).WithMessage("Remove control characters.");
        RuleFor(a => a.Line1).NotEmpty().WithMessage("The first address line is required.").MaximumLength(200).Must(NoControl).WithMessage("Remove control characters.");
        RuleFor(a => a.Line2).MaximumLength(200).Must(NoControl).WithMessage("Remove control characters.");
        RuleFor(a => a.City).NotEmpty().WithMessage("A city is required.").MaximumLength(100).Must(NoControl).WithMessage("Remove control characters.");
        RuleFor(a => a.Country).NotEmpty().WithMessage("A country is required.")
            .Must(Countries.IsCode).WithMessage("Use an ISO 3166 two-letter country code in capitals, like DE or US.");
        RuleFor(a => a.PostalCode).NotEmpty().WithMessage("A postal code is required.").MaximumLength(12)
            .Matches("^[A-Za-z0-9][A-Za-z0-9 -]*$").WithMessage("Use letters, digits, spaces and dashes.");
        RuleFor(a => a.PostalCode).Matches(@"^\d{5}(-\d{4})?$").When(a => a.Country == "US").WithMessage("A US ZIP code is 5 digits (or ZIP+4).");
        RuleFor(a => a.PostalCode).Matches(@"^\d{5}$").When(a => a.Country is "DE" or "FR" or "ES" or "IT").WithMessage("A postal code here is 5 digits.");
        RuleFor(a => a.Region).NotEmpty().When(a => a.Country is "US" or "CA").WithMessage("A state or province code is required, like CA or NY.");
        RuleFor(a => a.Region).MaximumLength(50).Matches("^[A-Za-z0-9 -]*$").WithMessage("Use a region code such as CA or NY.");
        RuleFor(a => a.Phone).MaximumLength(30).Matches(@"^[0-9+() .-]*$").WithMessage("Use digits, spaces and + ( ) - .");
    }

    private static bool NoControl(string? value) => value is null || !value.Any(char.IsControl);
}
