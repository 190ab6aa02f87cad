using System.Text.Json;
using Dapper;
using Headless.Api.Platform.Json;
using Headless.Contracts.Catalog;
using Npgsql;

namespace Headless.Api.Features.Catalog.Products;

/// <summary>Loads one product with its categories and variants (stock included) in one round trip.</summary>
public static class ProductQueries
{
    private const string ById = """
        select id, slug, title, description, status, images::text as images, tags, featured, version, created_at, updated_at
        from products where id = @id;
        select c.id, c.slug, c.name
        from product_categories pc join categories c on c.id = pc.category_id
        where pc.product_id = @id order by c.slug;
        select v.id, v.sku, v.title, v.options::text as options, v.price_amount, v.currency, v.weight_grams, v.status, v.version,
               coalesce(i.on_hand - i.reserved, 0) as available
        from variants v left join inventory i on i.sku = v.sku
        where v.product_id = @id order by v.position, v.sku;
        """;

    public static async Task<ProductDetail?> LoadAsync(NpgsqlConnection conn, Guid id, NpgsqlTransaction? tx = null, bool activeVariantsOnly = false)
    {
        await using var grid = await conn.QueryMultipleAsync(ById, new { id }, tx);
        var product = await grid.ReadSingleOrDefaultAsync<ProductRow>();
        if (product is null)
        {
            return null;
        }
        var categories = (await grid.ReadAsync<CategoryRef>()).ToList();
        var variants = (await grid.ReadAsync<VariantRow>())
            .Where(v => !activeVariantsOnly || v.Status == "active")
            .Select(v => new ProductVariant(v.Id, v.Sku, v.Title, ParseOptions(v.Options), new Money(v.PriceAmount, v.Currency.Trim()),
                v.WeightGrams, v.Status, Math.Max(v.Available, 0), v.Available > 0, v.Version))
            .ToList();
        return new ProductDetail(product.Id, product.Slug, product.Title, product.Description, product.Status,
            JsonSerializer.Deserialize(product.Images, ApiJsonContext.Default.ListProductImage) ?? [],
            product.Tags, product.Featured, categories, variants,
            variants.Any(v => v.Status == "active" && v.InStock), product.Version, product.CreatedAt, product.UpdatedAt);
    }

    public static Task<Guid?> FindIdBySlugAsync(NpgsqlConnection conn, string slug) =>
        conn.QuerySingleOrDefaultAsync<Guid?>("select id from products where slug = @slug", new { slug });

    private static Dictionary<string, string> ParseOptions(string json) =>
        JsonSerializer.Deserialize(json, ApiJsonContext.Default.DictionaryStringString) ?? [];

    // A class, not a positional record: Dapper maps text[] columns to properties but not to constructor parameters.
    internal sealed class ProductRow
    {
        public Guid Id { get; init; }
        public string Slug { get; init; } = null!;
        public string Title { get; init; } = null!;
        public string Description { get; init; } = null!;
        public string Status { get; init; } = null!;
        public string Images { get; init; } = null!;
        public string[] Tags { get; init; } = null!;
        public bool Featured { get; init; }
        public int Version { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }
    }

    private sealed record VariantRow(Guid Id, string Sku, string Title, string Options, long PriceAmount, string Currency,
        int WeightGrams, string Status, int Version, int Available);
}
