using nietras.SeparatedValues;

namespace Headless.Samples.ErpStockSync;

/// <summary>One SKU's stock as the CSV holds it.</summary>
public sealed record StockRow(string Sku, Guid ProductId, int OnHand, int Reserved, int Available);

/// <summary>
/// The mirror on disk: the CSV (sorted by SKU) and, beside it, the feed cursor it is current to. Each is
/// rewritten whole into a temporary file and renamed over the old one, so a reader (or a crash) never sees
/// half a file. The CSV is written before the cursor: after a crash between the two, the next run applies
/// the same changes again, which is harmless because it always reads the current stock.
/// </summary>
public sealed class StockFile(string path)
{
    private static readonly string[] Columns = ["sku", "product_id", "on_hand", "reserved", "available"];

    public string Path { get; } = path;

    public string CursorPath => Path + ".cursor";

    public string? ReadCursor() => File.Exists(CursorPath) ? File.ReadAllText(CursorPath).Trim() : null;

    public Dictionary<string, StockRow> ReadRows()
    {
        var rows = new Dictionary<string, StockRow>(StringComparer.Ordinal);
        if (!File.Exists(Path))
        {
            return rows;
        }
        using var reader = Sep.New(',').Reader(o => o with { HasHeader = true, Unescape = true }).FromFile(Path);
        foreach (var row in reader)
        {
            var stock = new StockRow(row["sku"].ToString(), row["product_id"].Parse<Guid>(), row["on_hand"].Parse<int>(),
                row["reserved"].Parse<int>(), row["available"].Parse<int>());
            rows[stock.Sku] = stock;
        }
        return rows;
    }

    public void Save(IReadOnlyDictionary<string, StockRow> rows, string cursor)
    {
        var temp = Path + ".tmp";
        using (var writer = Sep.New(',').Writer(o => o with { Escape = true }).ToFile(temp))
        {
            if (rows.Count == 0)
            {
                writer.Header.Add(Columns);
                writer.Header.Write();
            }
            foreach (var stock in rows.Values.OrderBy(r => r.Sku, StringComparer.Ordinal))
            {
                using var row = writer.NewRow();
                row["sku"].Set(stock.Sku);
                row["product_id"].Set(stock.ProductId.ToString());
                row["on_hand"].Format(stock.OnHand);
                row["reserved"].Format(stock.Reserved);
                row["available"].Format(stock.Available);
            }
        }
        File.Move(temp, Path, overwrite: true);
        File.WriteAllText(CursorPath + ".tmp", cursor);
        File.Move(CursorPath + ".tmp", CursorPath, overwrite: true);
    }
}
