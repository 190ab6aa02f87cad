using Dapper;
using Headless.Api.Platform.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Orders.Admin;

/// <summary>If-Match on order actions: a staff member ships, cancels or refunds the order they looked at,
/// not one a colleague (or a payment webhook) changed meanwhile. The status-conditional UPDATEs already
/// stop double transitions; the version also stops acting on a stale screen (a refund sized for an
/// order that was partly refunded a moment ago).</summary>
public static class OrderVersion
{
    /// <summary>Compares If-Match with the order's version; with a transaction the row stays locked for it.
    /// Null when they agree.</summary>
    public static async Task<ProblemHttpResult?> CheckAsync(HttpContext http, NpgsqlConnection conn, NpgsqlTransaction? tx, Guid orderId)
    {
        var expected = Versions.ParseIfMatch(http.Request.Headers.IfMatch);
        if (expected.Version is null)
        {
            return PreconditionRequired();
        }
        var version = await conn.ExecuteScalarAsync<int?>(
            tx is null ? "select version from orders where id = @orderId" : "select version from orders where id = @orderId for update",
            new { orderId }, tx);
        if (version is null)
        {
            return NotFound($"No order {orderId}.");
        }
        return version == expected.Version ? null : Stale(version.Value);
    }

    public static ProblemHttpResult Stale(int version) =>
        PreconditionFailed($"The order changed since you read it (it is now at {Versions.ETag(version)}). Reload it, check what changed, and try again with the new ETag.");
}
