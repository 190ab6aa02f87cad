using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Pricing;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Geography;
using Headless.Api.Platform.Http;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Carts;

public sealed class UpdateCart(NpgsqlDataSource db, PricingRules rules)
    : Endpoint<UpdateCart.Request, Results<Ok<Cart>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Patch("/carts/{cartToken}");
        Group<PublicApi>();
        AllowAnonymous();
        Description(b => b.WithName("UpdateCart").WithTags("Carts")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity));
        Summary(s => s.Summary = "Set a cart's destination, shipping method or discount code, for the shipping and tax estimate");
    }

    public sealed class Request : JsonBody<UpdateCartRequest>
    {
        [RouteParam]
        public string CartToken { get; set; } = "";
    }

    public sealed class Validator(IValidator<UpdateCartRequest> rules) : JsonBodyValidator<Request, UpdateCartRequest>(rules);

    public override async Task<Results<Ok<Cart>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (cartToken, request, http) = (req.CartToken, req.Body, HttpContext);
        await using var conn = await db.OpenConnectionAsync(ct);
        var (cart, problem) = await CartStore.ResolveAsync(conn, cartToken, http.User);
        if ((problem ?? CartWrites.CheckWritable(http, cart!)) is { } refused)
        {
            return refused;
        }
        var row = cart!.Row;
        static string? Pick(string? sent, string? current) => sent is null ? current : sent.Length == 0 ? null : sent;
        var choices = new CartPricing.Choices(
            Pick(request.Country, row.Country?.Trim()),
            Pick(request.Region, row.Region),
            Pick(request.ShippingMethod, row.ShippingMethod),
            Pick(request.DiscountCode is null ? null : request.DiscountCode.Length == 0 ? "" : DiscountCodes.Normalize(request.DiscountCode), row.DiscountCode));
        var priced = await CartPricing.PriceAsync(conn, rules, cart, choices, ct);
        // A choice the shopper just made must work now; one that stopped working later shows as an issue.
        if (request.DiscountCode is { Length: > 0 } && priced.Issues.FirstOrDefault(i => i.Code == "discount-not-applicable") is { } discountIssue)
        {
            return Make(StatusCodes.Status422UnprocessableEntity, "discount-not-applicable", "Discount code cannot be used", discountIssue.Message,
                new Dictionary<string, string[]> { ["discountCode"] = [discountIssue.Message] });
        }
        if (request.ShippingMethod is { Length: > 0 } && priced.Method is null)
        {
            var detail = choices.Country is null
                ? "Set the destination country first: shipping methods depend on it."
                : $"'{request.ShippingMethod}' does not ship this cart to {choices.Country}. Options: {string.Join(", ", priced.Options.Select(o => o.Code))}.";
            return Make(StatusCodes.Status422UnprocessableEntity, "shipping-method-unavailable", "Shipping method not available", detail,
                new Dictionary<string, string[]> { ["shippingMethod"] = [detail] });
        }
        var updated = await conn.QuerySingleOrDefaultAsync<CartStore.CartRow>("""
            update carts set country = @country, region = @region, shipping_method = @shippingMethod, discount_code = @discountCode,
                version = version + 1, updated_at = now()
            where id = @id and status = 'open'
            returning id, customer_id, status, currency, country, region, shipping_method, discount_code, version, updated_at
            """, new { id = row.Id, country = choices.Country, region = choices.Region, shippingMethod = choices.ShippingMethod, discountCode = choices.DiscountCode });
        if (updated is null)
        {
            return CartWrites.Closed();
        }
        var view = CartPricing.ToContract(priced with { Cart = cart with { Row = updated } });
        Versions.SetETag(http, view.Version);
        return TypedResults.Ok(view);
    }
}

public sealed class UpdateCartRequestValidator : AbstractValidator<UpdateCartRequest>
{
    public UpdateCartRequestValidator()
    {
        RuleFor(r => r.Country).Must(c => c is null || c.Length == 0 || Countries.IsCode(c))
            .WithMessage("Use an ISO 3166 two-letter country code in capitals, like DE or US (\"\" clears it).");
        RuleFor(r => r.Region).MaximumLength(50).Matches("^[A-Za-z0-9 -]*$").WithMessage("Use a region code such as CA or NY.");
        RuleFor(r => r.ShippingMethod).MaximumLength(50);
        RuleFor(r => r.DiscountCode).MaximumLength(50);
    }
}
