using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Features.Catalog;
using Headless.Api.Features.Pricing;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Carts;

public sealed class MergeCart(NpgsqlDataSource db, PricingRules rules, IOptions<CatalogOptions> catalog)
    : Endpoint<MergeCart.Request, Results<Ok<Cart>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/carts/mine/merge");
        Group<PublicApi>();
        Policies(Platform.Security.Policies.SignedIn);
        Description(b => b.WithName("MergeCart").WithTags("Carts")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            // FastEndpoints documents a 403 for every route with a policy; this route never had one.
            .ClearDefaultProduces(StatusCodes.Status403Forbidden));
        Summary(s => s.Summary = "After sign-in: move a guest cart's lines into your cart (quantities add up); the guest cart is closed");
    }

    public sealed class Request : JsonBody<MergeCartRequest>;

    public sealed class Validator(IValidator<MergeCartRequest> rules) : JsonBodyValidator<Request, MergeCartRequest>(rules);

    public override async Task<Results<Ok<Cart>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = (req.Body, HttpContext);
        var customerId = http.User.UserId()!.Value;
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var guest = await conn.QuerySingleOrDefaultAsync<(Guid Id, string Status)?>("""
            select id, status from carts where token_hash = @tokenHash and customer_id is null for update
            """, new { tokenHash = CartTokens.Hash(request.CartToken!) }, tx);
        if (guest is not { } g)
        {
            return NotFound("No guest cart has this token.");
        }
        if (g.Status != "open")
        {
            return Conflict("That guest cart was already checked out or merged.");
        }
        var guestId = g.Id;
        await conn.ExecuteAsync("""
            insert into carts (id, token_hash, customer_id, currency) values (@cartId, @tokenHash, @customerId, @currency)
            on conflict (customer_id) where status = 'open' and customer_id is not null do nothing
            """, new { cartId = Guid.CreateVersion7(), tokenHash = CartTokens.Hash(CartTokens.New()), customerId, currency = catalog.Value.Currency }, tx);
        await conn.ExecuteAsync($"""
            with mine as (select id from carts where customer_id = @customerId and status = 'open' for update),
                 guest as (update carts set status = 'merged', version = version + 1, updated_at = now()
                           where id = @guestId and status = 'open' returning id)
            insert into cart_lines (cart_id, sku, quantity)
            select mine.id, l.sku, l.quantity from cart_lines l, mine, guest where l.cart_id = guest.id
            on conflict (cart_id, sku) do update set quantity = least(cart_lines.quantity + excluded.quantity, {CartWrites.MaxQuantity})
            """, new { customerId, guestId }, tx);
        await conn.ExecuteAsync("update carts set version = version + 1, updated_at = now() where customer_id = @customerId and status = 'open'", new { customerId }, tx);
        var (cart, problem) = await CartStore.ResolveAsync(conn, CartStore.Mine, http.User, tx);
        await tx.CommitAsync(ct);
        if (problem is not null)
        {
            return problem;
        }
        return await CartPricing.OkAsync(conn, rules, http, cart!, ct);
    }
}

public sealed class MergeCartRequestValidator : AbstractValidator<MergeCartRequest>
{
    public MergeCartRequestValidator()
    {
        RuleFor(r => r.CartToken).NotEmpty().Must(CartTokens.LooksValid).WithMessage("cartToken is the token of a guest cart.");
    }
}
