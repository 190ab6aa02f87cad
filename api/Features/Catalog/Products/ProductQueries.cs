using System.Text.Json;
using Dapper;
using Headless.Api.Platform.Json;
using Headless.Contracts.Catalog;
using Npgsql;

namespace Headless.Api.Features.Catalog.Products;

/// <summary>Loads one product with its categories and variants (stock included) in one round trip.</summary>
public static class ProductQueries
{
    /// <summary>The columns of <see cref="ProductRow"/>.</summary>
    public const string ProductColumns = """
        id, slug, title, description, status, images::text as images, tags, featured, version, created_at, updated_at,
        seo_title, seo_description, vendor, product_type, option_names
        """;

    /// <summary>The columns of <see cref="VariantRow"/>, from variants v left join inventory i.</summary>
    public const string VariantColumns = """
        v.product_id, v.id, v.sku, v.title, v.options::text as options, v.price_amount, v.compare_at_minor, v.currency,
        v.weight_grams, v.status, v.version, coalesce(i.on_hand - i.reserved, 0) as available
        """;

    private const string ById = $"""
        select {ProductColumns}
        from products where id = @id;
        select c.id, c.slug, c.name
        from product_categories pc join categories c on c.id = pc.category_id
        where pc.product_id = @id order by c.slug;
        select {VariantColumns}
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
            .Select(v => v.ToContract())
            .ToList();
        return product.ToContract(categories, variants);
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
        public string? SeoTitle { get; init; }
        public string? SeoDescription { get; init; }
        public string Vendor { get; init; } = "";
        public string ProductType { get; init; } = "";
        public string[] OptionNames { get; init; } = [];

        public ProductDetail ToContract(IReadOnlyList<CategoryRef> categories, IReadOnlyList<ProductVariant> variants) => new(
            Id, Slug, Title, Description, Status,
            JsonSerializer.Deserialize(Images, ApiJsonContext.Default.ListProductImage) ?? [],
            Tags, Featured, categories, variants,
            variants.Any(v => v.Status == "active" && v.InStock), Version, CreatedAt, UpdatedAt,
            SeoTitle, SeoDescription, Vendor, ProductType, OptionNames);
    }

    internal sealed class VariantRow
    {
        public Guid ProductId { get; init; }
        public Guid Id { get; init; }
        public string Sku { get; init; } = null!;
        public string Title { get; init; } = null!;
        public string Options { get; init; } = null!;
        public long PriceAmount { get; init; }
        public long? CompareAtMinor { get; init; }
        public string Currency { get; init; } = null!;
        public int WeightGrams { get; init; }
        public string Status { get; init; } = null!;
        public int Version { get; init; }
        public int Available { get; init; }

        public ProductVariant ToContract()
        {
            var currency = Currency.Trim();
            return new ProductVariant(Id, Sku, Title, ParseOptions(Options), new Money(PriceAmount, currency),
                WeightGrams, Status, Math.Max(Available, 0), Available > 0, Version,
                CompareAtMinor is { } compareAt ? new Money(compareAt, currency) : null);
        }
    }
}
