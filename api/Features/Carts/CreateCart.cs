using Dapper;
using FastEndpoints;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Features.Catalog;
using Headless.Api.Features.Pricing;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Json;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Carts;

public sealed class CreateCart(NpgsqlDataSource db, PricingRules rules, Idempotency idempotency, IOptions<CatalogOptions> catalog)
    : Endpoint<CreateCart.Request, Results<Created<Cart>, Ok<Cart>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/carts");
        Group<PublicApi>();
        AllowAnonymous();
        RequestBinder(new OptionalJsonBody<Request>());
        Description(b => b.WithMetadata(OptionalJsonBody.Marker));
        Description(b => b.WithName("CreateCart").WithTags("Carts")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity));
        Summary(s =>
        {
            s.Summary = "Create a cart: a guest cart with a secret token, or, signed in, your cart (returned if you already have one)";
            s.Description = "Send an Idempotency-Key so a retried request does not create a second cart. Keep the returned token: it is the only way to reach a guest cart.";
        });
    }

    public sealed class Request : JsonBody<CreateCartRequest>;

    public override async Task<Results<Created<Cart>, Ok<Cart>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = ((CreateCartRequest?)req.Body, HttpContext);
        if (request?.Currency is { } currency && currency != catalog.Value.Currency)
        {
            return Validation("currency", $"This shop sells in {catalog.Value.Currency}; leave currency out or use {catalog.Value.Currency}.");
        }
        // Qualified: FastEndpoints' Endpoint has an Idempotency() method of its own.
        var (key, keyProblem) = Platform.Http.Idempotency.Read(http);
        if (keyProblem is not null)
        {
            return keyProblem;
        }
        var customerId = http.User.UserId();
        var scope = "carts:" + (customerId?.ToString() ?? "guest");
        var fingerprint = Platform.Http.Idempotency.Fingerprint("CreateCart", "", request, ApiJsonContext.Default.CreateCartRequest!);

        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (key is not null)
        {
            if (!await Platform.Http.Idempotency.TryLockAsync(conn, tx, scope, key))
            {
                return Platform.Http.Idempotency.InFlight();
            }
            if (await idempotency.FindAsync(conn, tx, scope, key, ApiJsonContext.Default.Cart) is { } stored)
            {
                if (!stored.Matches(fingerprint))
                {
                    return Platform.Http.Idempotency.Mismatch();
                }
                Platform.Http.Idempotency.MarkReplayed(http);
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
