using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Headless.Api.Features.Catalog.Products;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;

namespace Headless.Api.Features.Catalog.Admin;

/// <summary>Statements several admin product and variant endpoints share.</summary>
public static class ProductWrites
{
    public static string? Json(ProductDetail? product) =>
        product is null ? null : JsonSerializer.Serialize(product, ApiJsonContext.Default.ProductDetail);

    public static string ImagesJson(IEnumerable<ImageInput> images) => JsonSerializer.Serialize(
        images.Select(i => new ProductImage(i.Url!, i.Alt!, i.Width!.Value, i.Height!.Value)).ToList(),
        ApiJsonContext.Default.ListProductImage);

    /// <summary>Locks the product row for the rest of the transaction.</summary>
    public static Task<LockedProduct?> LockAsync(WriteLog log, Guid id) =>
        log.Connection.QuerySingleOrDefaultAsync<LockedProduct?>(
            "select id, slug, status, version from products where id = @id for update", new { id }, log.Transaction);

    public static async Task<List<Guid>> MissingCategoriesAsync(WriteLog log, IReadOnlyCollection<Guid>? ids)
    {
        if (ids is null || ids.Count == 0)
        {
            return [];
        }
        var found = await log.Connection.QueryAsync<Guid>(
            "select id from categories where id = any (@ids)", new { ids = ids.Distinct().ToArray() }, log.Transaction);
        return ids.Except(found).ToList();
    }

    public static async Task SetCategoriesAsync(WriteLog log, Guid productId, IReadOnlyCollection<Guid> categoryIds)
    {
        await log.Connection.ExecuteAsync("delete from product_categories where product_id = @productId", new { productId }, log.Transaction);
        await log.Connection.ExecuteAsync("""
            insert into product_categories (product_id, category_id) select @productId, unnest(@ids)
            """, new { productId, ids = categoryIds.Distinct().ToArray() }, log.Transaction);
    }

    /// <returns>The new variant's id, or null when the SKU is taken (nothing written then).</returns>
    public static async Task<Guid?> InsertVariantAsync(WriteLog log, Guid productId, CreateVariantRequest v, int position)
    {
        var id = Guid.CreateVersion7();
        var inserted = await log.Connection.ExecuteAsync("""
            insert into variants (id, product_id, sku, title, options, price_amount, compare_at_minor, currency, weight_grams, position)
            values (@id, @productId, @sku, @title, @options::jsonb, @price, @compareAt, @currency, @weight, @position)
            on conflict (sku) do nothing
            """, new
        {
            id,
            productId,
            sku = v.Sku,
            title = v.Title ?? "",
            options = JsonSerializer.Serialize(v.Options ?? [], ApiJsonContext.Default.DictionaryStringString),
            price = v.Price!.Amount,
            compareAt = v.CompareAtPrice?.Amount,
            currency = v.Price.Currency,
            weight = v.WeightGrams,
            position,
        }, log.Transaction);
        if (inserted == 0)
        {
            return null;
        }
        await StockLedger.NoteAsync(log.Connection, log.Transaction, "initial stock", log.Actor.Id);
        await log.Connection.ExecuteAsync("insert into inventory (sku, on_hand) values (@sku, @stock)", new { sku = v.Sku, stock = v.InitialStock ?? 0 }, log.Transaction);
        return id;
    }

    /// <summary>The listing sort key: the lowest price among the product's active variants.</summary>
    private const string ActiveMinPrice = "(select min(price_amount) from variants where product_id = @productId and status = 'active')";

    /// <summary>Sets the listing sort key of a product created in this transaction (its version stays 1).</summary>
    public static Task SetMinPriceAsync(WriteLog log, Guid productId) =>
        log.Connection.ExecuteAsync($"""
            update products set min_price = {ActiveMinPrice} where id = @productId;
            select product_stock_refresh(@productId);
            """, new { productId }, log.Transaction);

    /// <summary>Keeps the listing sort keys right and bumps the product's version after its variants changed.</summary>
    public static Task TouchAfterVariantChangeAsync(WriteLog log, Guid productId) =>
        log.Connection.ExecuteAsync($"""
            update products set min_price = {ActiveMinPrice}, version = version + 1, updated_at = now()
            where id = @productId;
            select product_stock_refresh(@productId);
            """, new { productId }, log.Transaction);

    /// <summary>The variants whose option names are not among the product's, as (field, message) errors.</summary>
    public static IEnumerable<(string Field, string Message)> UnknownOptions(
        IReadOnlyList<string> optionNames, IEnumerable<(string Field, IReadOnlyDictionary<string, string>? Options)> variants) =>
        from v in variants
        let unknown = (v.Options?.Keys ?? Enumerable.Empty<string>()).Where(k => !optionNames.Contains(k, StringComparer.Ordinal)).ToList()
        where unknown.Count > 0
        select (v.Field, $"Unknown option name {string.Join(", ", unknown.Select(u => $"'{u}'"))}: the product's options are "
            + (optionNames.Count == 0 ? "none" : string.Join(", ", optionNames)) + ". Add it to the product's optionNames first.");

    /// <summary>Option names in order of first use by the variants, for products created without optionNames.</summary>
    public static List<string> OptionNamesOf(IEnumerable<CreateVariantRequest?> variants) =>
        variants.SelectMany(v => v?.Options?.Keys ?? Enumerable.Empty<string>()).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>An empty SEO text means "none" (the title or description shows instead).</summary>
    public static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    public static Task<ProductDetail?> LoadAsync(WriteLog log, Guid id) => ProductQueries.LoadAsync(log.Connection, id, log.Transaction);

    public static async Task RecordAsync(WriteLog log, string action, Guid productId, ProductDetail? before, ProductDetail? after, JsonObject? payload = null)
    {
        payload ??= [];
        payload["slug"] = after?.Slug ?? before?.Slug;
        await log.EventAsync(action, "product", productId.ToString(), payload);
        await log.AuditAsync(action, "product", productId.ToString(), Json(before), Json(after));
    }
}

public sealed record LockedProduct(Guid Id, string Slug, string Status, int Version);
