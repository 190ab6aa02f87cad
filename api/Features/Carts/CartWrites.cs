using Dapper;
using FluentValidation;
using Headless.Api.Platform.Http;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Carts;

public static class CartWrites
{
    public const int MaxQuantity = 999;
    public const int MaxLines = 100;

    /// <summary>Only open carts change; If-Match, when sent, must name the current version.</summary>
    public static ProblemHttpResult? CheckWritable(HttpContext http, CartStore.LoadedCart cart)
    {
        if (cart.Row.Status != "open")
        {
            return Conflict(cart.Row.Status == "merged"
                ? "This cart was merged into a customer's cart. Use GET /api/v1/carts/mine."
                : "This cart has been checked out. Create a new cart to keep shopping.");
        }
        var ifMatch = Versions.ParseIfMatch(http.Request.Headers.IfMatch);
        if (ifMatch.IsInvalid)
        {
            return Validation("If-Match", "Send the ETag from the cart, like \"v3\".");
        }
        return ifMatch.Version is { } v && v != cart.Row.Version
            ? PreconditionFailed($"The cart is at version {cart.Row.Version}; read it again and retry.")
            : null;
    }

    /// <summary>The variant as a cart line would show it, or null when nobody can buy it.</summary>
    public static Task<CartStore.LineRow?> FindSellableAsync(NpgsqlConnection conn, string sku, int quantity) =>
        conn.QuerySingleOrDefaultAsync<CartStore.LineRow?>("""
            select v.sku, v.product_id, p.slug as product_slug, p.title, v.title as variant_title, v.price_amount as unit_price,
                   v.currency, @quantity as quantity, v.weight_grams, coalesce(i.on_hand - i.reserved, 0) as available, true as active
            from variants v join products p on p.id = v.product_id left join inventory i on i.sku = v.sku
            where v.sku = @sku and v.status = 'active' and p.status = 'active'
            """, new { sku, quantity });

    public static ProblemHttpResult NotEnoughStock(string sku, int available) =>
        Make(StatusCodes.Status409Conflict, "insufficient-stock", "Not enough stock",
            available <= 0 ? $"SKU '{sku}' is sold out." : $"Only {available} of SKU '{sku}' can be bought now.",
            new Dictionary<string, string[]> { ["quantity"] = [$"At most {Math.Max(available, 0)}."] });

    public static ProblemHttpResult UnknownSku(string sku) =>
        Make(StatusCodes.Status404NotFound, "unknown-sku", "Unknown SKU", $"No product on sale has SKU '{sku}'.",
            new Dictionary<string, string[]> { ["sku"] = ["Not on sale."] });

    /// <summary>The cart as it is after a write, without reading it again.</summary>
    public static CartStore.LoadedCart After(CartStore.LoadedCart cart, List<CartStore.LineRow> lines, CartStore.CartRow? row = null)
    {
        var r = row ?? cart.Row;
        return cart with
        {
            Lines = lines,
            Row = r with { Version = cart.Row.Version + 1, UpdatedAt = DateTime.UtcNow },
        };
    }

    /// <summary>The cart's lines with this SKU's line replaced, or added at the end when it is new.</summary>
    public static List<CartStore.LineRow> WithLine(CartStore.LoadedCart cart, CartStore.LineRow line) =>
        cart.Lines.Any(l => l.Sku == line.Sku)
            ? cart.Lines.Select(l => l.Sku == line.Sku ? line : l).ToList()
            : [.. cart.Lines, line];

    /// <summary>Prefix of every line write: it bumps the cart's version only while the cart is open, and the
    /// write goes through only if it did, so a line can never change after checkout closed the cart, and
    /// a checkout never sells a cart that changed after it was priced.</summary>
    public const string WhileOpen = "with open_cart as (update carts set version = version + 1, updated_at = now() where id = @cartId and status = 'open' returning id)";

    public static ProblemHttpResult Closed() => Conflict("This cart was checked out or merged a moment ago. Create a new cart to keep shopping.");
}

public sealed class AddCartLineRequestValidator : AbstractValidator<AddCartLineRequest>
{
    public AddCartLineRequestValidator()
    {
        RuleFor(r => r.Sku).NotEmpty().WithMessage("sku is required.").MaximumLength(64);
        RuleFor(r => r.Quantity).NotNull().WithMessage("quantity is required.")
            .InclusiveBetween(1, CartWrites.MaxQuantity).WithMessage($"quantity is a whole number from 1 to {CartWrites.MaxQuantity}.");
    }
}

public sealed class SetCartLineRequestValidator : AbstractValidator<SetCartLineRequest>
{
    public SetCartLineRequestValidator()
    {
        RuleFor(r => r.Quantity).NotNull().WithMessage("quantity is required.")
            .InclusiveBetween(0, CartWrites.MaxQuantity).WithMessage($"quantity is a whole number from 0 (removes the line) to {CartWrites.MaxQuantity}.");
    }
}
