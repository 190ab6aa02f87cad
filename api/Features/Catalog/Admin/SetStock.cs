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

public sealed class SetStock(NpgsqlDataSource db, CatalogCache cache)
    : Endpoint<SetStock.Request, Results<Ok<StockLevel>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Put("/inventory/{sku}");
        Group<AdminApi>();
        Options(b => b.WithMetadata(Platform.Http.IfMatchRequired.Metadata));
        Policies(Platform.Security.Policies.CatalogStaff);
        Description(b => b.WithName("SetStock").WithTags("Admin inventory")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired));
        Summary(s => s.Summary = "Set a SKU's on-hand count after a stock take, with a reason. Requires If-Match with the stock level's ETag (GET /inventory/{sku})");
    }

    public sealed class Request : JsonBody<SetStockRequest>
    {
        [RouteParam]
        public string Sku { get; set; } = "";

        /// <summary>The stock level's ETag from GET, e.g. "v3".</summary>
        [FromHeader("If-Match", IsRequired = false)]
        public string? IfMatch { get; set; }
    }

    public sealed class Validator(IValidator<SetStockRequest> rules) : JsonBodyValidator<Request, SetStockRequest>(rules);

    public override async Task<Results<Ok<StockLevel>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (sku, request, http) = (req.Sku, req.Body, HttpContext);
        var expected = Versions.ParseIfMatch(req.IfMatch);
        if (expected.IsMissing)
        {
            return PreconditionRequired();
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var before = await StockWrites.GetAsync(conn, sku, tx, forUpdate: true);
        if (before is null)
        {
            return NotFound($"No SKU '{sku}' is stocked.");
        }
        if (expected.Version != before.Version)
        {
            return PreconditionFailed($"The stock level is at version {before.Version} ({Versions.ETag(before.Version)}); sales or adjustments changed it. GET it again and resend.");
        }
        if (request.OnHand < before.Reserved)
        {
            return Conflict($"{before.Reserved} units are reserved by open checkouts; on hand cannot go below that.",
                new Dictionary<string, string[]> { ["onHand"] = [$"Use {before.Reserved} or more."] });
        }
        await StockLedger.NoteAsync(conn, tx, request.Reason!, Actor.From(http).Id);
        var row = await conn.QuerySingleAsync<StockWrites.StockRow>($"""
            update inventory set on_hand = @onHand, version = version + 1, updated_at = now()
            where sku = @sku returning {StockWrites.Columns}
            """, new { sku, onHand = request.OnHand }, tx);
        var after = row.ToContract();
        var productId = await StockWrites.RecordAsync(new WriteLog(conn, tx, Actor.From(http)), before, after, request.Reason!);
        await tx.CommitAsync(ct);
        cache.InvalidateProduct(productId);

        Versions.SetETag(http, after.Version);
        return TypedResults.Ok(after);
    }
}
