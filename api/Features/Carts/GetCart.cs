using FastEndpoints;
using Headless.Api.Features.Pricing;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Features.Carts;

public sealed class GetCart(NpgsqlDataSource db, PricingRules rules)
    : Endpoint<GetCart.Request, Results<Ok<Cart>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/carts/{cartToken}");
        Group<PublicApi>();
        AllowAnonymous();
        Description(b => b.WithName("GetCart").WithTags("Carts")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound));
        Summary(s => s.Summary = "Read a cart with today's prices, stock, shipping options and totals ('mine' for the signed-in customer's cart)");
    }

    public sealed class Request
    {
        [RouteParam]
        public string CartToken { get; set; } = "";
    }

    public override async Task<Results<Ok<Cart>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (cartToken, http) = (req.CartToken, HttpContext);
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
