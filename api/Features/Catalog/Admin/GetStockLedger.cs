using System.Globalization;
using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Admin;

/// <summary>A SKU's stock ledger, newest first: every change of on hand or reserved (see StockLedger).</summary>
public sealed class GetStockLedger(NpgsqlDataSource db)
    : Endpoint<GetStockLedger.Request, Results<Ok<StockLedgerPage>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/inventory/{sku}/ledger");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.CatalogStaff);
        Description(b => b.WithName("GetStockLedger").WithTags("Admin inventory")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound));
        Summary(s =>
        {
            s.Summary = "A SKU's stock ledger, newest first: adjustments, stock takes, sales, reservations and their release, with reason, actor and time";
            s.Description = "Each entry holds the change of on hand and of reserved and both values after it. Pass `nextCursor` back as `cursor` for older entries.";
            s.Responses[200] = "A page of ledger entries and the cursor of the next (older) page, null on the last";
            s.Responses[400] = "The limit or cursor is not valid";
            s.Responses[404] = "No such SKU is stocked";
        });
    }

    public sealed class Request
    {
        [RouteParam]
        public string Sku { get; set; } = "";

        /// <summary>Page size, 1-100, default 50.</summary>
        [QueryParam]
        public int? Limit { get; set; }

        /// <summary>The nextCursor of the previous page, unchanged.</summary>
        [QueryParam]
        public string? Cursor { get; set; }
    }

    public override async Task<Results<Ok<StockLedgerPage>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var limit = req.Limit ?? 50;
        if (limit is < 1 or > 100)
        {
            return Validation("limit", "Use a limit from 1 to 100.");
        }
        long? before = null;
        if (req.Cursor is not null)
        {
            var cursor = AdminListCursor.TryDecode(req.Cursor, "ledger:" + req.Sku);
            if (cursor is null || !long.TryParse(cursor.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                return Validation("cursor", AdminListCursor.Invalid);
            }
            before = id;
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        if (!await conn.ExecuteScalarAsync<bool>("select exists (select 1 from inventory where sku = @sku)", new { sku = req.Sku }))
        {
            return NotFound($"No SKU '{req.Sku}' is stocked.");
        }
        var rows = (await conn.QueryAsync<Row>(new CommandDefinition("""
            select id, sku, delta, on_hand, reserved_delta, reserved, reason, actor, created_at
            from stock_movements
            where sku = @sku and (@before::bigint is null or id < @before)
            order by id desc
            limit @take
            """, new { sku = req.Sku, before, take = limit + 1 }, cancellationToken: ct))).ToList();
        var page = rows.Take(limit).Select(r => new StockMovement(r.Id, r.Sku, r.Delta, r.OnHand, r.ReservedDelta, r.Reserved, r.Reason, r.Actor, r.CreatedAt)).ToList();
        var next = rows.Count > limit ? new AdminListCursor("ledger:" + req.Sku, page[^1].Id.ToString(CultureInfo.InvariantCulture), "").Encode() : null;
        HttpContext.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new StockLedgerPage(page, next));
    }

    private sealed record Row(long Id, string Sku, int Delta, int OnHand, int ReservedDelta, int? Reserved, string Reason, string Actor, DateTime CreatedAt);
}
