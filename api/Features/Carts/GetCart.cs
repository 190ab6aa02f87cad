using Headless.Api.Features.Pricing;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Features.Carts;

public static class GetCart
{
    public static void Map(RouteGroupBuilder group) => group
        .MapGet("/carts/{cartToken}", Handle)
        .WithName("GetCart")
        .WithSummary("Read a cart with today's prices, stock, shipping options and totals ('mine' for the signed-in customer's cart)")
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Results<Ok<Cart>, ProblemHttpResult>> Handle(
        string cartToken, HttpContext http, NpgsqlDataSource db, PricingRules rules, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var (cart, problem) = await CartStore.ResolveAsync(conn, cartToken, http.User);
        if (problem is not null)
        {
            return problem;
        }
        http.Response.Headers.CacheControl = "no-store";
        return await CartPricing.OkAsync(conn, rules, http, cart!, ct);
    }
}
