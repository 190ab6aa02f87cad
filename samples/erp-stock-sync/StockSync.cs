using Headless.Sdk;

namespace Headless.Samples.ErpStockSync;

/// <summary>
/// Follows GET /api/v1/catalog/changes from the saved cursor. The feed says which product changed, not how,
/// so every product an event names (product.*, variant.*, inventory.changed) is read again and its SKUs'
/// stock replaces what the CSV had; catalog.loaded re-reads everything. The first run has no cursor: it
/// takes the feed's current end first and then a full inventory snapshot, so a change made in between is
/// both in the snapshot and replayed after it (replaying is harmless).
/// </summary>
public sealed class StockSync(IHeadlessClient client, StockFile file, TextWriter log)
{
    private const int FeedPage = 1000;

    public async Task CatchUpAsync(CancellationToken ct)
    {
        var cursor = file.ReadCursor();
        var rows = file.ReadRows();
        if (cursor is null)
        {
            cursor = await FeedEndAsync(ct);
            rows = await SnapshotAsync(ct);
            file.Save(rows, cursor);
            await log.WriteLineAsync($"No saved cursor: wrote a snapshot of {rows.Count} SKUs to {file.Path}.");
        }
        else
        {
            await log.WriteLineAsync($"Resuming from the saved cursor with {rows.Count} SKUs.");
        }

        while (true)
        {
            var page = await client.GetCatalogChangesAsync(cursor, FeedPage, ct);
            if (page.Changes.Count == 0)
            {
                return;
            }
            if (page.Changes.Any(c => c.Type == "catalog.loaded"))
            {
                rows = await SnapshotAsync(ct);
            }
            else
            {
                foreach (var productId in page.Changes.Where(c => c.EntityType == "product").Select(c => Guid.Parse(c.EntityId)).Distinct())
                {
                    await RefreshProductAsync(rows, productId, ct);
                }
            }
            cursor = page.NextCursor;
            file.Save(rows, cursor);
            await log.WriteLineAsync($"Applied {page.Changes.Count} changes; {rows.Count} SKUs in {file.Path}.");
            if (!page.HasMore)
            {
                return;
            }
        }
    }

    private async Task<string> FeedEndAsync(CancellationToken ct)
    {
        string? cursor = null;
        CatalogChangePage page;
        do
        {
            page = await client.GetCatalogChangesAsync(cursor, FeedPage, ct);
            cursor = page.NextCursor;
        }
        while (page.HasMore);
        return cursor;
    }

    private async Task<Dictionary<string, StockRow>> SnapshotAsync(CancellationToken ct)
    {
        var rows = new Dictionary<string, StockRow>(StringComparer.Ordinal);
        string? cursor = null;
        do
        {
            var page = await client.ListInventoryAsync(limit: 100, cursor: cursor, cancellationToken: ct);
            foreach (var item in page.Items)
            {
                rows[item.Sku] = new StockRow(item.Sku, item.ProductId, item.OnHand, item.Reserved, item.Available);
            }
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return rows;
    }

    private async Task RefreshProductAsync(Dictionary<string, StockRow> rows, Guid productId, CancellationToken ct)
    {
        ProductDetail product;
        try
        {
            product = await client.GetAdminProductAsync(productId, ct);
        }
        catch (ApiException e) when (e.StatusCode == 404)
        {
            product = new ProductDetail { Id = productId, Variants = [] };
        }
        var skus = product.Variants.Select(v => v.Sku).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in rows.Values.Where(r => r.ProductId == productId && !skus.Contains(r.Sku)).ToList())
        {
            rows.Remove(gone.Sku);
        }
        foreach (var sku in skus)
        {
            try
            {
                var stock = await client.GetStockAsync(sku, ct);
                rows[sku] = new StockRow(sku, productId, stock.OnHand, stock.Reserved, stock.Available);
            }
            catch (ApiException e) when (e.StatusCode == 404)
            {
                rows.Remove(sku);
            }
        }
    }
}
