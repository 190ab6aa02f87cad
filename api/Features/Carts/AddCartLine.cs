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

public sealed class AddCartLine(NpgsqlDataSource db, PricingRules rules)
    : Endpoint<AddCartLine.Request, Results<Ok<Cart>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/carts/{cartToken}/lines");
        Group<PublicApi>();
        AllowAnonymous();
        Description(b => b.WithName("AddCartLine").WithTags("Carts")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed));
        Summary(s => s.Summary = "Add a quantity of a SKU to a cart (added to what is already there)");
    }

    public sealed class Request : JsonBody<AddCartLineRequest>
    {
        [RouteParam]
        public string CartToken { get; set; } = "";
    }

    public sealed class Validator(IValidator<AddCartLineRequest> rules) : JsonBodyValidator<Request, AddCartLineRequest>(rules);

    public override async Task<Results<Ok<Cart>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (cartToken, request, http) = (req.CartToken, req.Body, HttpContext);
        await using var conn = await db.OpenConnectionAsync(ct);
        var (cart, problem) = await CartStore.ResolveAsync(conn, cartToken, http.User);
        if ((problem ?? CartWrites.CheckWritable(http, cart!)) is { } refused)
        {
            return refused;
        }
        var sku = request.Sku!;
        var existing = cart!.Lines.FirstOrDefault(l => l.Sku == sku);
        if (existing is null && cart.Lines.Count >= CartWrites.MaxLines)
        {
            return Conflict($"A cart holds at most {CartWrites.MaxLines} different items.");
        }
        var quantity = (existing?.Quantity ?? 0) + request.Quantity!.Value;
        if (quantity > CartWrites.MaxQuantity)
        {
            return Validation("quantity", $"A cart holds at most {CartWrites.MaxQuantity} of one SKU; it has {existing?.Quantity ?? 0}.");
        }
        var line = await CartWrites.FindSellableAsync(conn, sku, quantity);
        if (line is null)
        {
            return CartWrites.UnknownSku(sku);
        }
        if (line.Available < quantity)
        {
            return CartWrites.NotEnoughStock(sku, line.Available - (existing?.Quantity ?? 0));
        }
        // Added, not overwritten: two tabs adding at once both count.
        await using var tx = await conn.BeginTransactionAsync(ct);
        var stored = await conn.ExecuteScalarAsync<int?>($"""
            {CartWrites.WhileOpen}
            insert into cart_lines (cart_id, sku, quantity) select id, @sku, @delta from open_cart
            on conflict (cart_id, sku) do update set quantity = cart_lines.quantity + excluded.quantity
            where cart_lines.quantity + excluded.quantity <= {CartWrites.MaxQuantity}
            returning quantity
            """, new { cartId = cart.Row.Id, sku, delta = request.Quantity.Value }, tx);
        if (stored is null)
        {
            var open = await conn.ExecuteScalarAsync<bool>("select status = 'open' from carts where id = @id", new { id = cart.Row.Id }, tx);
            return open ? Validation("quantity", $"A cart holds at most {CartWrites.MaxQuantity} of one SKU.") : CartWrites.Closed();
        }
        await tx.CommitAsync(ct);
        // What was stored, which counts another tab's add that landed in between.
        var after = CartWrites.After(cart, CartWrites.WithLine(cart, line with { Quantity = stored.Value }));
        return await CartPricing.OkAsync(conn, rules, http, after, ct);
    }
}
