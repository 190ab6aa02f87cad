using Dapper;
using FastEndpoints;
using Headless.Api.Features.Pricing;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Carts;

public sealed class RemoveCartLine(NpgsqlDataSource db, PricingRules rules)
    : Endpoint<RemoveCartLine.Request, Results<Ok<Cart>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Delete("/carts/{cartToken}/lines/{sku}");
        Group<PublicApi>();
        AllowAnonymous();
        Description(b => b.WithName("RemoveCartLine").WithTags("Carts")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed));
        Summary(s => s.Summary = "Remove a SKU from a cart");
    }

    public sealed class Request
    {
        [RouteParam]
        public string CartToken { get; set; } = "";
        [RouteParam]
        public string Sku { get; set; } = "";
    }

    public override async Task<Results<Ok<Cart>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (cartToken, sku, http) = (req.CartToken, req.Sku, HttpContext);
        await using var conn = await db.OpenConnectionAsync(ct);
        var (cart, problem) = await CartStore.ResolveAsync(conn, cartToken, http.User);
        if ((problem ?? CartWrites.CheckWritable(http, cart!)) is { } refused)
        {
            return refused;
        }
        return await RemoveAsync(conn, rules, http, cart!, sku, ct);
    }

    internal static async Task<Results<Ok<Cart>, ProblemHttpResult>> RemoveAsync(
        NpgsqlConnection conn, PricingRules rules, HttpContext http, CartStore.LoadedCart cart, string sku, CancellationToken ct)
    {
        if (cart.Lines.All(l => l.Sku != sku))
        {
            return NotFound($"The cart has no line with SKU '{sku}'.");
        }
        var deleted = await conn.ExecuteAsync($"""
            {CartWrites.WhileOpen}
            delete from cart_lines where cart_id in (select id from open_cart) and sku = @sku
            """, new { cartId = cart.Row.Id, sku });
        if (deleted == 0)
        {
            return CartWrites.Closed();
        }
        return await CartPricing.OkAsync(conn, rules, http, CartWrites.After(cart, cart.Lines.Where(l => l.Sku != sku).ToList()), ct);
    }
}
