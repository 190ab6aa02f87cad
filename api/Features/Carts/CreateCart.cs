using Dapper;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Features.Catalog;
using Headless.Api.Features.Pricing;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Json;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.Extensions.Options;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Carts;

public static class CreateCart
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/carts", Handle)
        .WithName("CreateCart")
        .WithSummary("Create a cart: a guest cart with a secret token, or, signed in, your cart (returned if you already have one)")
        .WithDescription("Send an Idempotency-Key so a retried request does not create a second cart. Keep the returned token: it is the only way to reach a guest cart.")
        .ProducesValidationProblem()
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

    private static async Task<Results<Created<Cart>, Ok<Cart>, ProblemHttpResult>> Handle(
        [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] CreateCartRequest? request, HttpContext http, NpgsqlDataSource db, PricingRules rules, Idempotency idempotency,
        IOptions<CatalogOptions> catalog, CancellationToken ct)
    {
        if (request?.Currency is { } currency && currency != catalog.Value.Currency)
        {
            return Validation("currency", $"This shop sells in {catalog.Value.Currency}; leave currency out or use {catalog.Value.Currency}.");
        }
        var (key, keyProblem) = Idempotency.Read(http);
        if (keyProblem is not null)
        {
            return keyProblem;
        }
        var customerId = http.User.UserId();
        var scope = "carts:" + (customerId?.ToString() ?? "guest");
        var fingerprint = Idempotency.Fingerprint("CreateCart", "", request, ApiJsonContext.Default.CreateCartRequest!);

        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (key is not null)
        {
            if (!await Idempotency.TryLockAsync(conn, tx, scope, key))
            {
                return Idempotency.InFlight();
            }
            if (await idempotency.FindAsync(conn, tx, scope, key, ApiJsonContext.Default.Cart) is { } stored)
            {
                if (!stored.Matches(fingerprint))
                {
                    return Idempotency.Mismatch();
                }
                Idempotency.MarkReplayed(http);
                return TypedResults.Created(stored.Location, stored.Body);
            }
        }

        string token;
        if (customerId is { } id)
        {
            // One open cart per customer (a unique index): a second device gets the same cart.
            await conn.ExecuteAsync("""
                insert into carts (id, token_hash, customer_id, currency) values (@cartId, @tokenHash, @id, @currency)
                on conflict (customer_id) where status = 'open' and customer_id is not null do nothing
                """, new { cartId = Guid.CreateVersion7(), tokenHash = CartTokens.Hash(CartTokens.New()), id, currency = catalog.Value.Currency }, tx);
            token = CartStore.Mine;
        }
        else
        {
            token = CartTokens.New();
            await conn.ExecuteAsync("insert into carts (id, token_hash, currency) values (@cartId, @tokenHash, @currency)",
                new { cartId = Guid.CreateVersion7(), tokenHash = CartTokens.Hash(token), currency = catalog.Value.Currency }, tx);
        }
        var (loaded, problem) = await CartStore.ResolveAsync(conn, token, http.User, tx);
        if (problem is not null)
        {
            return problem;
        }
        var cart = await CartPricing.ViewAsync(conn, rules, loaded!, ct);
        var location = $"/api/v1/carts/{token}";
        if (key is not null)
        {
            await idempotency.StoreAsync(conn, tx, scope, key, fingerprint, StatusCodes.Status201Created, location, cart, ApiJsonContext.Default.Cart);
        }
        await tx.CommitAsync(ct);
        Versions.SetETag(http, cart.Version);
        return TypedResults.Created(location, cart);
    }
}
