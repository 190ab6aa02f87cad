using System.Security.Claims;
using Dapper;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Features.Carts;

/// <summary>Reads a cart with today's prices and stock, in one round trip.</summary>
public static class CartStore
{
    /// <summary>The route value that means "the signed-in customer's open cart".</summary>
    public const string Mine = "mine";

    // A line keeps its place even when its variant is archived: the shopper sees why it cannot be bought.
    private const string Sql = """
        select id, customer_id, status, currency, country, region, shipping_method, discount_code, version, updated_at
        from carts c where {0};
        select l.sku, v.product_id, p.slug as product_slug, p.title, v.title as variant_title, v.price_amount as unit_price,
               v.currency, l.quantity, v.weight_grams, coalesce(i.on_hand - i.reserved, 0) as available,
               (v.status = 'active' and p.status = 'active') as active
        from carts c
        join cart_lines l on l.cart_id = c.id
        join variants v on v.sku = l.sku
        join products p on p.id = v.product_id
        left join inventory i on i.sku = l.sku
        where {0}
        order by l.added_at, l.sku;
        """;

    private static readonly string ByToken = string.Format(System.Globalization.CultureInfo.InvariantCulture, Sql, "c.token_hash = @tokenHash");
    private static readonly string ByCustomer = string.Format(System.Globalization.CultureInfo.InvariantCulture, Sql, "c.customer_id = @customerId and c.status = 'open'");

    /// <summary>The cart a route's {cartToken} names: a guest cart by its token, or with "mine" the
    /// signed-in customer's open cart. Customer carts are reachable only through "mine".</summary>
    public static async Task<(LoadedCart? Cart, ProblemHttpResult? Problem)> ResolveAsync(
        NpgsqlConnection conn, string cartToken, ClaimsPrincipal user, NpgsqlTransaction? tx = null)
    {
        LoadedCart? cart;
        if (cartToken == Mine)
        {
            if (user.UserId() is not { } customerId)
            {
                return (null, Problems.Make(StatusCodes.Status401Unauthorized, "unauthenticated", "Authentication required",
                    "Sign in to use your cart, or use the token of a guest cart."));
            }
            cart = await LoadAsync(conn, ByCustomer, new { customerId }, Mine, tx);
            return cart is null ? (null, Problems.NotFound("You have no open cart. POST /api/v1/carts creates one.")) : (cart, null);
        }
        cart = CartTokens.LooksValid(cartToken) ? await LoadAsync(conn, ByToken, new { tokenHash = CartTokens.Hash(cartToken) }, cartToken, tx) : null;
        return cart is null || cart.Row.CustomerId is not null
            ? (null, Problems.NotFound("No cart has this token. Create one with POST /api/v1/carts."))
            : (cart, null);
    }

    /// <summary>
    /// A line write and the cart it leaves, in one round trip: the write, then the cart read back, batched in
    /// one implicit transaction, so the read sees the write. <paramref name="writeSql"/> continues a WITH whose
    /// first query, <c>cart</c>, is the open cart the token names at the version If-Match names (if sent),
    /// locked; it must write only through that cart and return a row only when it wrote. Null when it did not
    /// write, or when the request cannot name a writable cart at all: the caller then takes the long way,
    /// which says why (404, 401, 409, 412, ...).
    /// </summary>
    public static async Task<LoadedCart?> WriteAsync(NpgsqlConnection conn, string cartToken, ClaimsPrincipal user, IfMatch ifMatch,
        string writeSql, DynamicParameters args)
    {
        string where;
        if (ifMatch.IsInvalid)
        {
            return null;
        }
        if (cartToken == Mine)
        {
            if (user.UserId() is not { } customerId)
            {
                return null;
            }
            where = "c.customer_id = @customerId";
            args.Add("customerId", customerId);
        }
        else if (CartTokens.LooksValid(cartToken))
        {
            where = "c.token_hash = @tokenHash and c.customer_id is null";
            args.Add("tokenHash", CartTokens.Hash(cartToken));
        }
        else
        {
            return null;
        }
        args.Add("ifMatch", ifMatch.Version);
        var read = cartToken == Mine ? ByCustomer : ByToken;
        using var grid = await conn.QueryMultipleAsync(
            $"with cart as materialized (select c.id from carts c where {where} and c.status = 'open' and (@ifMatch::int is null or c.version = @ifMatch) for update), " +
            writeSql + ";\n" + read, args);
        var wrote = (await grid.ReadAsync<int>()).Any();
        var row = await grid.ReadSingleOrDefaultAsync<CartRow>();
        var lines = (await grid.ReadAsync<LineRow>()).ToList();
        return wrote && row is not null ? new LoadedCart(cartToken, row, lines) : null;
    }

    private static async Task<LoadedCart?> LoadAsync(NpgsqlConnection conn, string sql, object args, string token, NpgsqlTransaction? tx)
    {
        using var grid = await conn.QueryMultipleAsync(sql, args, tx);
        var cart = await grid.ReadSingleOrDefaultAsync<CartRow>();
        var lines = (await grid.ReadAsync<LineRow>()).ToList();
        return cart is null ? null : new LoadedCart(token, cart, lines);
    }

    public sealed record LoadedCart(string Token, CartRow Row, List<LineRow> Lines);

    public sealed record CartRow
    {
        public Guid Id { get; init; }
        public Guid? CustomerId { get; init; }
        public string Status { get; init; } = "";
        public string Currency { get; init; } = "";
        public string? Country { get; init; }
        public string? Region { get; init; }
        public string? ShippingMethod { get; init; }
        public string? DiscountCode { get; init; }
        public int Version { get; init; }
        public DateTime UpdatedAt { get; init; }
    }

    public sealed record LineRow
    {
        public string Sku { get; init; } = "";
        public Guid ProductId { get; init; }
        public string ProductSlug { get; init; } = "";
        public string Title { get; init; } = "";
        public string VariantTitle { get; init; } = "";
        public long UnitPrice { get; init; }
        public string Currency { get; init; } = "";
        public int Quantity { get; init; }
        public int WeightGrams { get; init; }
        public int Available { get; init; }
        public bool Active { get; init; }

        public bool Purchasable => Active && Available >= Quantity;
    }
}
