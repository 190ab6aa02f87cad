using Dapper;
using Headless.Contracts.Admin;
using Npgsql;

namespace Headless.Api.Features.Catalog.Admin;

/// <summary>Reads a SKU's stock with its product for the inventory screen (list and threshold writes).</summary>
public static class InventoryRows
{
    public const string Select = """
        select i.sku, v.product_id, p.title as product_title, v.title as variant_title, i.on_hand, i.reserved,
               i.on_hand - i.reserved as available, i.low_stock_threshold, i.on_hand - i.reserved <= i.low_stock_threshold as low_stock,
               i.version, i.updated_at
        from inventory i join variants v on v.sku = i.sku join products p on p.id = v.product_id
        """;

    public static async Task<InventoryRow?> GetAsync(NpgsqlConnection conn, string sku, NpgsqlTransaction? tx = null) =>
        (await conn.QuerySingleOrDefaultAsync<Row>($"{Select} where i.sku = @sku", new { sku }, tx))?.ToContract();

    public sealed record Row(string Sku, Guid ProductId, string ProductTitle, string VariantTitle, int OnHand, int Reserved, int Available,
        int LowStockThreshold, bool LowStock, int Version, DateTime UpdatedAt)
    {
        public InventoryRow ToContract() => new(Sku, ProductId, ProductTitle, VariantTitle, OnHand, Reserved, Available,
            LowStockThreshold, LowStock, Version, UpdatedAt);
    }
}
