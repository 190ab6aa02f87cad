using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Admin;

public sealed class SetLowStockThreshold(NpgsqlDataSource db)
    : Endpoint<SetLowStockThreshold.Request, Results<Ok<InventoryRow>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Put("/inventory/{sku}/threshold");
        Group<AdminApi>();
        Options(b => b.WithMetadata(Platform.Http.IfMatchRequired.Metadata));
        Policies(Platform.Security.Policies.CatalogStaff);
        Description(b => b.WithName("SetLowStockThreshold").WithTags("Admin inventory")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired));
        Summary(s =>
        {
            s.Summary = "Set the available count at or below which a SKU shows as low stock. Requires If-Match with the stock level's ETag";
            s.Description = "The ETag is the one GET /inventory/{sku} or this route returned; sales change it too, so a 412 means: GET again and resend.";
            s.Responses[200] = "The SKU's stock with its new threshold";
            s.Responses[404] = "No such SKU is stocked";
            s.Responses[412] = "The stock level changed since the ETag was read";
            s.Responses[428] = "If-Match is missing";
        });
    }

    public sealed class Request : JsonBody<SetLowStockThresholdRequest>
    {
        [RouteParam]
        public string Sku { get; set; } = "";

        /// <summary>The stock level's ETag, e.g. "v3".</summary>
        [FromHeader("If-Match", IsRequired = false)]
        public string? IfMatch { get; set; }
    }

    public sealed class Validator(IValidator<SetLowStockThresholdRequest> rules) : JsonBodyValidator<Request, SetLowStockThresholdRequest>(rules);

    public override async Task<Results<Ok<InventoryRow>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (sku, threshold, http) = (req.Sku, req.Body.Threshold!.Value, HttpContext);
        var expected = Versions.ParseIfMatch(req.IfMatch);
        if (expected.IsMissing)
        {
            return PreconditionRequired();
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var current = await conn.QuerySingleOrDefaultAsync<int?>("select version from inventory where sku = @sku for update", new { sku }, tx);
        if (current is null)
        {
            return NotFound($"No SKU '{sku}' is stocked.");
        }
        if (expected.Version != current)
        {
            return PreconditionFailed($"The stock level is at version {current} ({Versions.ETag(current.Value)}); sales or adjustments changed it. GET it again and resend.");
        }
        var before = (await InventoryRows.GetAsync(conn, sku, tx))!;
        await conn.ExecuteAsync("""
            update inventory set low_stock_threshold = @threshold, version = version + 1, updated_at = now() where sku = @sku
            """, new { sku, threshold }, tx);
        var after = (await InventoryRows.GetAsync(conn, sku, tx))!;
        var log = new WriteLog(conn, tx, Actor.From(http));
        await log.EventAsync("inventory.threshold_changed", "product", after.ProductId.ToString(), new JsonObject { ["sku"] = sku, ["threshold"] = threshold });
        await log.AuditAsync("inventory.threshold_changed", "inventory", sku,
            JsonSerializer.Serialize(before, ApiJsonContext.Default.InventoryRow), JsonSerializer.Serialize(after, ApiJsonContext.Default.InventoryRow));
        await tx.CommitAsync(ct);

        Versions.SetETag(http, after.Version);
        return TypedResults.Ok(after);
    }
}

public sealed class SetLowStockThresholdRequestValidator : AbstractValidator<SetLowStockThresholdRequest>
{
    public SetLowStockThresholdRequestValidator()
    {
        RuleFor(r => r.Threshold).NotNull().WithMessage("threshold is required.")
            .InclusiveBetween(0, CatalogRules.MaxStock).WithMessage($"The threshold is a count from 0 to {CatalogRules.MaxStock}.");
    }
}
