namespace Headless.Contracts.Admin;

// Request fields are nullable on purpose: a missing field becomes a field error in the problem
// response instead of a silent default.

public sealed record MoneyInput(long? Amount, string? Currency);

public sealed record ImageInput(string? Url, string? Alt, int? Width, int? Height);

public sealed record CreateVariantRequest(
    string? Sku,
    string? Title,
    Dictionary<string, string>? Options,
    MoneyInput? Price,
    int? WeightGrams,
    int? InitialStock,
    MoneyInput? CompareAtPrice = null);

public sealed record CreateProductRequest(
    string? Slug,
    string? Title,
    string? Description,
    string? Status,
    List<ImageInput>? Images,
    List<string>? Tags,
    bool? Featured,
    List<Guid>? CategoryIds,
    List<CreateVariantRequest>? Variants,
    string? SeoTitle = null,
    string? SeoDescription = null,
    string? Vendor = null,
    string? ProductType = null,
    List<string>? OptionNames = null);

/// <summary>Only the fields present change. An empty SEO title or description removes it (the title and
/// description are used then).</summary>
public sealed record UpdateProductRequest(
    string? Slug,
    string? Title,
    string? Description,
    string? Status,
    List<ImageInput>? Images,
    List<string>? Tags,
    bool? Featured,
    List<Guid>? CategoryIds,
    string? SeoTitle = null,
    string? SeoDescription = null,
    string? Vendor = null,
    string? ProductType = null,
    List<string>? OptionNames = null);

/// <summary>Only the fields present change. The SKU of a variant never changes; send
/// `removeCompareAtPrice: true` to drop the compare-at price.</summary>
public sealed record UpdateVariantRequest(
    string? Title,
    Dictionary<string, string>? Options,
    MoneyInput? Price,
    int? WeightGrams,
    MoneyInput? CompareAtPrice = null,
    bool? RemoveCompareAtPrice = null);

public sealed record SetStockRequest(int? OnHand, string? Reason);

public sealed record AdjustStockRequest(int? Delta, string? Reason);

public sealed record StockLevel(string Sku, int OnHand, int Reserved, int Available, int Version, DateTimeOffset UpdatedAt);

public sealed record CreateCategoryRequest(string? Slug, string? Name, string? Description, Guid? ParentId, int? Position);

/// <summary>Only the fields present change; send `moveToRoot: true` to detach a category from its parent.</summary>
public sealed record UpdateCategoryRequest(string? Slug, string? Name, string? Description, Guid? ParentId, bool? MoveToRoot, int? Position);
