namespace Headless.Contracts.Catalog;

/// <summary>An amount of money in minor units (cents) of an ISO 4217 currency.</summary>
public sealed record Money(long Amount, string Currency);

/// <summary>A product image: url is the JPEG at a middle width (any browser shows it), width and height that file's size; uploaded images also carry an id (to delete or reorder them) and sources (every width in AVIF, WebP and JPEG, for a picture element).</summary>
public sealed record ProductImage(string Url, string Alt, int Width, int Height)
{
    /// <summary>Set on uploaded images; images given by URL have none.</summary>
    public Guid? Id { get; init; }

    /// <summary>The processed files of an uploaded image (AVIF, then WebP, then JPEG, narrowest first); null for images given by URL.</summary>
    public IReadOnlyList<ImageSource>? Sources { get; init; }
}

/// <summary>One processed file of an image: its format (avif, webp or jpeg), pixel size and URL.</summary>
public sealed record ImageSource(string Format, int Width, int Height, string Url);

public sealed record CategoryRef(Guid Id, string Slug, string Name);

public sealed record ProductVariant(
    Guid Id,
    string Sku,
    string Title,
    IReadOnlyDictionary<string, string> Options,
    Money Price,
    int WeightGrams,
    string Status,
    int Available,
    bool InStock,
    int Version,
    Money? CompareAtPrice = null);

public sealed record ProductDetail(
    Guid Id,
    string Slug,
    string Title,
    string Description,
    string Status,
    IReadOnlyList<ProductImage> Images,
    IReadOnlyList<string> Tags,
    bool Featured,
    IReadOnlyList<CategoryRef> Categories,
    IReadOnlyList<ProductVariant> Variants,
    bool InStock,
    int Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? SeoTitle = null,
    string? SeoDescription = null,
    string Vendor = "",
    string ProductType = "",
    IReadOnlyList<string>? OptionNames = null);

public sealed record ProductSummary(
    Guid Id,
    string Slug,
    string Title,
    ProductImage? Image,
    IReadOnlyList<string> Tags,
    Money? PriceFrom,
    bool InStock,
    DateTimeOffset CreatedAt);

public sealed record ProductPage(IReadOnlyList<ProductSummary> Items, string? NextCursor);

/// <summary>A page of full product documents for bulk readers (static site generators, feeds); the first page
/// (no cursor) also counts every active product, for progress reports.</summary>
public sealed record ProductDetailPage(IReadOnlyList<ProductDetail> Items, string? NextCursor, int? Total);

public sealed record CategoryNode(
    Guid Id,
    string Slug,
    string Name,
    string Description,
    Guid? ParentId,
    int Position,
    int Version,
    IReadOnlyList<CategoryNode> Children);

public sealed record CategoryTree(IReadOnlyList<CategoryNode> Categories);

/// <summary>One entry of the catalog change feed.</summary>
public sealed record CatalogChange(
    long Id,
    string Type,
    string EntityType,
    string EntityId,
    DateTimeOffset OccurredAt);

public sealed record CatalogChangePage(IReadOnlyList<CatalogChange> Changes, string NextCursor, bool HasMore);
