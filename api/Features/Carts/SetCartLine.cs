using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Pricing;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Carts;

public sealed class SetCartLine(NpgsqlDataSource db, PricingRules rules)
    : Endpoint<SetCartLine.Request, Results<Ok<Cart>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Put("/carts/{cartToken}/lines/{sku}");
        Group<PublicApi>();
        AllowAnonymous();
        Description(b => b.WithName("SetCartLine").WithTags("Carts")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed));
        Summary(s => s.Summary = "Set the quantity of a SKU in a cart (0 removes the line)");
    }

    public sealed class Request : JsonBody<SetCartLineRequest>
    {
        [RouteParam]
        public string CartToken { get; set; } = "";
        [RouteParam]
        public string Sku { get; set; } = "";
    }

    public sealed class Validator(IValidator<SetCartLineRequest> rules) : JsonBodyValidator<Request, SetCartLineRequest>(rules);

    public override async Task<Results<Ok<Cart>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (cartToken, sku, request, http) = (req.CartToken, req.Sku, req.Body, HttpContext);
        await using var conn = await db.OpenConnectionAsync(ct);
        var (cart, problem) = await CartStore.ResolveAsync(conn, cartToken, http.User);
        if ((problem ?? CartWrites.CheckWritable(http, cart!)) is { } refused)
        {
            return refused;
        }
        var quantity = request.Quantity!.Value;
        if (quantity == 0)
        {
            return await RemoveCartLine.RemoveAsync(conn, rules, http, cart!, sku, ct);
        }
        var existing = cart!.Lines.FirstOrDefault(l => l.Sku == sku);
        if (existing is null && cart.Lines.Count >= CartWrites.MaxLines)
        {
            return Conflict($"A cart holds at most {CartWrites.MaxLines} different items.");
        }
        var line = await CartWrites.FindSellableAsync(conn, sku, quantity);
        if (line is null)
        {
            return CartWrites.UnknownSku(sku);
        }
        // Lowering a quantity is always allowed, so a shopper can fix a line that went short.
        if (line.Available < quantity && quantity > (existing?.Quantity ?? 0))
        {
            return CartWrites.NotEnoughStock(sku, line.Available);
        }
        var written = await conn.ExecuteAsync($"""
            {CartWrites.WhileOpen}
            insert into cart_lines (cart_id, sku, quantity) select id, @sku, @quantity from open_cart
            on conflict (cart_id, sku) do update set quantity = excluded.quantity
            """, new { cartId = cart.Row.Id, sku, quantity });
        if (written == 0)
        {
            return CartWrites.Closed();
        }
        return await CartPricing.OkAsync(conn, rules, http, CartWrites.After(cart, CartWrites.WithLine(cart, line)), ct);
    }
}
