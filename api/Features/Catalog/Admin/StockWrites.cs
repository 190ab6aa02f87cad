using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using FluentValidation;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Npgsql;

namespace Headless.Api.Features.Catalog.Admin;

public static class StockWrites
{
    public const string Columns = "sku, on_hand, reserved, on_hand - reserved as available, version, updated_at";

    public static async Task<StockLevel?> GetAsync(NpgsqlConnection conn, string sku, NpgsqlTransaction? tx = null, bool forUpdate = false)
    {
        var row = await conn.QuerySingleOrDefaultAsync<StockRow>(
            $"select {Columns} from inventory where sku = @sku{(forUpdate ? " for update" : "")}", new { sku }, tx);
        return row?.ToContract();
    }

    /// <summary>Appends the inventory.changed event (addressed to the product so its page and cache refresh)
    /// and the audit row for a stock write; the ledger row came from the trigger (see StockLedger).</summary>
    public static async Task<Guid> RecordAsync(WriteLog log, StockLevel before, StockLevel after, string reason)
    {
        var productId = await log.Connection.ExecuteScalarAsync<Guid>(
            "select product_id from variants where sku = @sku", new { sku = after.Sku }, log.Transaction);
        await log.EventAsync("inventory.changed", "product", productId.ToString(), new JsonObject
        {
            ["sku"] = after.Sku,
            ["onHand"] = after.OnHand,
            ["reserved"] = after.Reserved,
            ["available"] = after.Available,
        });
        await log.AuditAsync("inventory.changed", "inventory", after.Sku, Json(before), Json(after, reason));
        return productId;
    }

    private static string Json(StockLevel level, string? reason = null)
    {
        var node = JsonSerializer.SerializeToNode(level, ApiJsonContext.Default.StockLevel)!.AsObject();
        if (reason is not null)
        {
            node["reason"] = reason;
        }
        return node.ToJsonString();
    }

    public sealed record StockRow(string Sku, int OnHand, int Reserved, int Available, int Version, DateTime UpdatedAt)
    {
        public StockLevel ToContract() => new(Sku, OnHand, Reserved, Available, Version, UpdatedAt);
    }
}

public sealed class SetStockRequestValidator : AbstractValidator<SetStockRequest>
{
    public SetStockRequestValidator()
    {
        RuleFor(r => r.OnHand).NotNull().WithMessage("onHand is required.")
            .InclusiveBetween(0, CatalogRules.MaxStock).WithMessage($"onHand is a count from 0 to {CatalogRules.MaxStock}.");
        RuleFor(r => r.Reason).NotEmpty().WithMessage("Say why the stock changes (for the stock ledger).").MaximumLength(200);
    }
}

public sealed class AdjustStockRequestValidator : AbstractValidator<AdjustStockRequest>
{
    public AdjustStockRequestValidator()
    {
        RuleFor(r => r.Delta).NotNull().WithMessage("delta is required.")
            .NotEqual(0).WithMessage("A delta of 0 changes nothing.")
            .InclusiveBetween(-CatalogRules.MaxStock, CatalogRules.MaxStock);
        RuleFor(r => r.Reason).NotEmpty().WithMessage("Say why the stock changes (for the stock ledger).").MaximumLength(200);
    }
}
