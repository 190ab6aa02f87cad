using Headless.Contracts.Catalog;

namespace Headless.Contracts.Admin;

/// <summary>The lowest and highest price among a product's active variants.</summary>
public sealed record PriceRange(Money Min, Money Max);

/// <summary>One row of the admin product list: every status, stock summed over active variants.</summary>
public sealed record AdminProductRow(
    Guid Id,
    string Slug,
    string Title,
    string Status,
    ProductImage? Image,
    PriceRange? Price,
    int TotalAvailable,
    bool LowStock,
    int VariantCount,
    DateTimeOffset UpdatedAt,
    int Version);

public sealed record AdminProductPage(IReadOnlyList<AdminProductRow> Items, string? NextCursor);

/// <summary>One SKU's stock with its product, for the inventory screen.</summary>
public sealed record InventoryRow(
    string Sku,
    Guid ProductId,
    string ProductTitle,
    string VariantTitle,
    int OnHand,
    int Reserved,
    int Available,
    int LowStockThreshold,
    bool LowStock,
    int Version,
    DateTimeOffset UpdatedAt);

public sealed record InventoryPage(IReadOnlyList<InventoryRow> Items, string? NextCursor);

/// <summary>One change of a SKU's stock: on hand and reserved after it, the change of each, why and who.</summary>
public sealed record StockMovement(
    long Id,
    string Sku,
    int OnHandDelta,
    int OnHand,
    int ReservedDelta,
    int? Reserved,
    string Reason,
    string Actor,
    DateTimeOffset CreatedAt);

public sealed record StockLedgerPage(IReadOnlyList<StockMovement> Items, string? NextCursor);

public sealed record SetLowStockThresholdRequest(int? Threshold);
