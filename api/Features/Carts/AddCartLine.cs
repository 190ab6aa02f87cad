using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Pricing;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
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

    // Continues CartStore.WriteAsync's WITH (the locked open cart). Adds the quantity when the SKU is on sale
    // with enough stock for the line's new quantity, within the cart's limits, and only then bumps the version.
    private static readonly string AddSql = $"""
        current as (select l.quantity from cart_lines l where l.cart_id = (select id from cart) and l.sku = @sku),
        sellable as (
            select coalesce(i.on_hand - i.reserved, 0) as available
            from variants v join products p on p.id = v.product_id left join inventory i on i.sku = v.sku
            where v.sku = @sku and v.status = 'active' and p.status = 'active'),
        stored as (
            insert into cart_lines (cart_id, sku, quantity)
            select cart.id, @sku, @delta from cart
            where coalesce((select quantity from current), 0) + @delta <= (select available from sellable)
              and (exists (select 1 from current) or (select count(*) from cart_lines l where l.cart_id = cart.id) < {CartWrites.MaxLines})
            on conflict (cart_id, sku) do update set quantity = cart_lines.quantity + excluded.quantity
            where cart_lines.quantity + excluded.quantity <= {CartWrites.MaxQuantity}
            returning cart_id)
        update carts set version = version + 1, updated_at = now() where id in (select cart_id from stored) returning 1
        """;

    public override async Task<Results<Ok<Cart>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (cartToken, request, http) = (req.CartToken, req.Body, HttpContext);
        await using var conn = await db.OpenConnectionAsync(ct);
        // One round trip when the line can be added; anything else takes the long way below, which says why.
        var args = new DynamicParameters(new { sku = request.Sku!, delta = request.Quantity!.Value });
        if (await CartStore.WriteAsync(conn, cartToken, http.User, Versions.ParseIfMatch(http.Request.Headers.IfMatch), AddSql, args) is { } added)
        {
            return await CartPricing.OkAsync(conn, rules, http, added, ct);
        }
        return await RefuseOrAddAsync(conn, cartToken, request, http, ct);
    }

    private async Task<Results<Ok<Cart>, ProblemHttpResult>> RefuseOrAddAsync(NpgsqlConnection conn, string cartToken, AddCartLineRequest request, HttpContext http, CancellationToken ct)
    {
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
