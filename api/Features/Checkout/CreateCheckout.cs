using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Carts;
using Headless.Api.Features.Orders;
using Headless.Api.Features.Payments;
using Headless.Api.Features.Pricing;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Geography;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Telemetry;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Checkout;

/// <summary>
/// Cart → order → payment, in this order, so nothing waits on the payment provider while it holds stock,
/// a row lock or a pooled connection:
/// 1. resolve the cart (or find the answer a retry is asking for again),
/// 2. price it,
/// 3. reserve its stock and create the order in one short transaction (two round trips and a commit; see
///    <see cref="CheckoutOrder"/>), storing a provisional answer under the Idempotency-Key,
/// 4. with the connection back in the pool, create the PaymentIntent under a key derived from the order
///    and attach it (<see cref="CheckoutPayment"/>),
/// 5. answer 201.
/// Checkouts that lose a stock race stop at 3 and never reach the provider. When 4 fails the order stays
/// pending_payment with its stock held and no intent; a retry with the same Idempotency-Key resumes at 4
/// for the same order, and if nobody retries the reservation sweeper releases it.
/// </summary>
public sealed class CreateCheckout(
    NpgsqlDataSource db, PricingRules rules, IPaymentProvider payments, Idempotency idempotency, IOptions<CheckoutOptions> options,
    PersonalDataVault vault, ILogger<CreateCheckout> log)
    : Endpoint<CreateCheckout.Request, Results<Created<CheckoutResult>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/checkouts");
        Group<PublicApi>();
        AllowAnonymous();
        Description(b => b.WithName("CreateCheckout").WithTags("Checkout")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status402PaymentRequired)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status421MisdirectedRequest)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status502BadGateway)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable));
        Summary(s =>
        {
            s.Summary = "Check out a cart: reserve its stock, create the order (pending payment) and its payment";
            s.Description = "Requires an Idempotency-Key: a retry with the same key and body returns the same order; never a second one. " +
                "If the payment could not be set up (503 or 409 with Retry-After, 402, 422, 502), the order exists with its stock held for " +
                "the reservation period: retrying with the same key and body sets up the payment of that same order. " +
                "The email and addresses are kept in the personal-data vault of the customer's region (a guest's first checkout's shipping country " +
                "decides it): 421 names the API of the customer's region when this API serves the other one; 503 with Retry-After when the vault " +
                "cannot be reached.";
        });
    }

    public sealed class Request : JsonBody<CheckoutRequest>;

    public sealed class Validator(IValidator<CheckoutRequest> rules) : JsonBodyValidator<Request, CheckoutRequest>(rules);

    public override async Task<Results<Created<CheckoutResult>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var answer = await CheckOutAsync(req, ct);
        if (answer.Result is ProblemHttpResult refused)
        {
            HeadlessMetrics.CheckoutRefused(refused.ProblemDetails.Type);
        }
        return answer;
    }

    private async Task<Results<Created<CheckoutResult>, ProblemHttpResult>> CheckOutAsync(Request req, CancellationToken ct)
    {
        // Qualified: FastEndpoints' Endpoint has an Idempotency() method of its own.
        var (key, keyProblem) = Platform.Http.Idempotency.Read(HttpContext);
        if (keyProblem is not null || key is null)
        {
            return keyProblem ?? Platform.Http.Idempotency.Required();
        }
        var attempt = CheckoutAttempt.Of(HttpContext.User, key, req.Body);
        CheckoutStep placed;
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            placed = await PlaceOrderAsync(conn, req.Body, attempt, ct);
        }
        if (placed.Answer is { } answer)
        {
            return answer;
        }
        return await CheckoutPayment.PayAsync(HttpContext, placed.Order!, attempt, db, payments, log, ct);
    }

    /// <summary>Steps 1 to 3: an order waiting for its payment, or the answer to give now.</summary>
    private async Task<CheckoutStep> PlaceOrderAsync(NpgsqlConnection conn, CheckoutRequest request, CheckoutAttempt attempt, CancellationToken ct)
    {
        var (cart, cartProblem) = await CartStore.ResolveAsync(conn, request.CartToken!, HttpContext.User);
        if (cartProblem is not null || cart!.Row.Status != "open")
        {
            // A retry of a checkout that already closed the cart (a guest's token, or a customer's "mine",
            // which no longer finds a closed cart): its stored answer, or the order it left to pay for.
            return await FindEarlierAsync(conn, attempt, ct) ?? CheckoutStep.Of(cartProblem ?? CartClosed(cart!.Row.Status));
        }
        var email = request.Email;
        PersonRef? person = null;
        if (attempt.CustomerId is { } id)
        {
            var account = await conn.QuerySingleOrDefaultAsync<(Guid? PersonId, string? PersonRegion)>(
                "select person_id, person_region from users where id = @id", new { id });
            person = account.PersonId is { } personId && account.PersonRegion is { } region ? new PersonRef(personId, region) : null;
            if (string.IsNullOrEmpty(email))
            {
                email = person is null ? null : (await vault.GetAsync(person, ct))?.GetValueOrDefault(PersonalDataVault.EmailField);
            }
        }
        if (string.IsNullOrEmpty(email))
        {
            return CheckoutStep.Of(Validation("email", "An email address is required, for the order confirmation."));
        }
        var priced = await PriceAsync(conn, request, cart, ct);
        if (Refusal(priced) is { } refusal)
        {
            return CheckoutStep.Of(refusal);
        }
        var shipTo = Normalize(request.ShippingAddress!);
        var billTo = request.BillingAddress is { } billing ? Normalize(billing) : shipTo;
        // The contact goes to the person's vault before the core transaction; a guest's first checkout's shipping
        // country decides the region of the person it creates.
        var orderId = Guid.CreateVersion7();
        person ??= await vault.FindOrCreateByEmailAsync(email, shipTo.Country, ct);
        await new OrderContact(email, shipTo, billTo).SaveAsync(vault, person, orderId, ct);
        var created = await CheckoutOrder.CreateAsync(conn, new CheckoutOrder.Draft(orderId, cart, priced, person, email, shipTo, billTo), attempt,
            idempotency, payments, options.Value.ReservationMinutes, ct);
        return created.Raced is { } raced ? await ResumeOrReplayAsync(conn, raced, attempt, ct) : created.Step;
    }

    private Task<CartPricing.Priced> PriceAsync(NpgsqlConnection conn, CheckoutRequest request, CartStore.LoadedCart cart, CancellationToken ct)
    {
        var shipTo = request.ShippingAddress!;
        var region = shipTo.Region?.Trim().ToUpperInvariant() ?? "";
        var choices = new CartPricing.Choices(shipTo.Country, region.Length > 0 ? region : null,
            request.ShippingMethod ?? cart.Row.ShippingMethod,
            request.DiscountCode is { Length: > 0 } code ? DiscountCodes.Normalize(code) : request.DiscountCode is null ? cart.Row.DiscountCode : null);
        return CartPricing.PriceAsync(conn, rules, cart, choices, ct);
    }

    private async Task<CheckoutStep?> FindEarlierAsync(NpgsqlConnection conn, CheckoutAttempt attempt, CancellationToken ct) =>
        await FindReferenceAsync(conn, attempt) is { } stored
            ? await ResumeOrReplayAsync(conn, stored, attempt, ct)
            : null;

    private Task<Platform.Http.Idempotency.Reference?> FindReferenceAsync(NpgsqlConnection conn, CheckoutAttempt attempt) =>
        idempotency.FindReferenceAsync(conn, null, attempt.Scope, attempt.Key, ApiJsonContext.Default.CheckoutResult, CheckoutOrder.EarlierForm);

    /// <summary>An earlier request with this key created the order: replay its 201 (rebuilt from the order, see
    /// <see cref="CheckoutAnswer"/>), or carry on to its payment.</summary>
    private async Task<CheckoutStep> ResumeOrReplayAsync(NpgsqlConnection conn, Platform.Http.Idempotency.Reference stored, CheckoutAttempt attempt, CancellationToken ct)
    {
        if (!stored.Matches(attempt.Fingerprint))
        {
            return CheckoutStep.Of(Platform.Http.Idempotency.Mismatch());
        }
        var location = stored.Location ?? $"/api/v1/orders/{stored.ResourceId}";
        if (stored.StatusCode == StatusCodes.Status201Created)
        {
            Platform.Http.Idempotency.MarkReplayed(HttpContext);
            return await RebuildAsync(conn, stored, ct) is { } replayed ? CheckoutStep.Of(TypedResults.Created(location, replayed)) : CheckoutStep.Of(OrderGone());
        }
        var state = await CheckoutOrder.PaymentStateAsync(conn, stored.ResourceId);
        if (state is { Awaiting: true } && await RebuildAsync(conn, stored, ct) is { } provisional)
        {
            return CheckoutStep.Of(new PlacedOrder(provisional, location, state.PaymentAttempt, state.CartId ?? Guid.Empty));
        }
        // A concurrent retry attached the intent just now (its answer is final), or the sweeper released the order.
        return await FindReferenceAsync(conn, attempt) is { StatusCode: StatusCodes.Status201Created } attached
            ? await ResumeOrReplayAsync(conn, attached, attempt, ct)
            : CheckoutStep.Of(state is null ? OrderGone() : CheckoutPayment.Expired(state.Number));
    }

    private Task<CheckoutResult?> RebuildAsync(NpgsqlConnection conn, Platform.Http.Idempotency.Reference stored, CancellationToken ct) =>
        CheckoutAnswer.RebuildAsync(conn, vault, payments, stored.ResourceId, stored.Secret ?? "", ct);

    private static ProblemHttpResult OrderGone() =>
        NotFound("The order this Idempotency-Key created no longer exists. Use a new key to check out again.");

    private static ProblemHttpResult CartClosed(string cartStatus) =>
        Make(StatusCodes.Status409Conflict, "cart-closed", "The cart is closed",
            cartStatus == "merged" ? "This cart was merged into a customer's cart; check out that cart." : "This cart has already been checked out.");

    private static ProblemHttpResult? Refusal(CartPricing.Priced priced)
    {
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

    internal static ProblemHttpResult DiscountProblem(string message) =>
        Make(StatusCodes.Status422UnprocessableEntity, "discount-not-applicable", "Discount code cannot be used", message,
            new Dictionary<string, string[]> { ["discountCode"] = [message] });

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
