using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Admin;

public sealed class AdjustStock(NpgsqlDataSource db, CatalogCache cache)
    : Endpoint<AdjustStock.Request, Results<Ok<StockLevel>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/inventory/{sku}/adjustments");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.CatalogStaff);
        Description(b => b.WithName("AdjustStock").WithTags("Admin inventory")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict));
        Summary(s => s.Summary = "Add or remove stock (a delivery, a breakage) with a reason; safe to run concurrently");
    }

    public sealed class Request : JsonBody<AdjustStockRequest>
    {
        [RouteParam]
        public string Sku { get; set; } = "";
    }

    public sealed class Validator(IValidator<AdjustStockRequest> rules) : JsonBodyValidator<Request, AdjustStockRequest>(rules);

    public override async Task<Results<Ok<StockLevel>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (sku, request, http) = (req.Sku, req.Body, HttpContext);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await StockLedger.NoteAsync(conn, tx, request.Reason!, Actor.From(http).Id);
        // One conditional update: concurrent adjustments add up and on hand never drops below reserved.
        var row = await conn.QuerySingleOrDefaultAsync<StockWrites.StockRow>($"""
            update inventory set on_hand = on_hand + @delta, version = version + 1, updated_at = now()
            where sku = @sku and on_hand + @delta >= reserved
            returning {StockWrites.Columns}
            """, new { sku, delta = request.Delta }, tx);
        if (row is null)
        {
            var current = await StockWrites.GetAsync(conn, sku, tx);
            return current is null
                ? NotFound($"No SKU '{sku}' is stocked.")
                : Conflict($"Only {current.OnHand - current.Reserved} units can be removed ({current.OnHand} on hand, {current.Reserved} reserved).",
                    new Dictionary<string, string[]> { ["delta"] = [$"Use {current.Reserved - current.OnHand} or more."] });
        }
        var after = row.ToContract();
        var before = after with { OnHand = after.OnHand - request.Delta!.Value, Available = after.Available - request.Delta.Value, Version = after.Version - 1 };
        var productId = await StockWrites.RecordAsync(new WriteLog(conn, tx, Actor.From(http)), before, after, request.Reason!);
        await tx.CommitAsync(ct);
        cache.InvalidateProduct(productId);

        Versions.SetETag(http, after.Version);
        return TypedResults.Ok(after);
    }
}
