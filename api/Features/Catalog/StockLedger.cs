using Dapper;
using Npgsql;

namespace Headless.Api.Features.Catalog;

/// <summary>
/// The stock ledger (stock_movements) is written by a trigger on inventory, so no stock change can skip
/// it. Whoever changes stock says why first: the reason and actor are transaction-local settings the
/// trigger reads, and they hold until the transaction ends or the next note.
/// </summary>
public static class StockLedger
{
    /// <summary>The note as SQL, to batch with the stock change itself. Parameters: @stockReason, @stockActor.</summary>
    public const string NoteSql = "select set_config('headless.stock_reason', @stockReason, true), set_config('headless.stock_actor', @stockActor, true);";

    public static Task NoteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string reason, string actor) =>
        conn.ExecuteAsync(NoteSql, new { stockReason = reason, stockActor = actor }, tx);
}
