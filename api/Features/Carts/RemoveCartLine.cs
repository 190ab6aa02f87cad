using Dapper;
using Headless.Api.Features.Pricing;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Carts;

public static class RemoveCartLine
{
    public static void Map(RouteGroupBuilder group) => group
        .MapDelete("/carts/{cartToken}/lines/{sku}", Handle)
        .WithName("RemoveCartLine")
        .WithSummary("Remove a SKU from a cart")
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status412PreconditionFailed);

    private static async Task<Results<Ok<Cart>, ProblemHttpResult>> Handle(
        string cartToken, string sku, HttpContext http, NpgsqlDataSource db, PricingRules rules, CancellationToken ct)
    {
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
