using System.Text.Json;
using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Jobs;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Admin;

/// <summary>Queues a bulk change of products as one background job (BulkProductJob runs it); the caller
/// follows it at GET /api/v1/admin/jobs/{id} and may cancel it there.</summary>
public sealed class StartBulkProductJob(NpgsqlDataSource db)
    : Endpoint<StartBulkProductJob.Request, Results<Accepted<Job>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/products/bulk-jobs");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.CatalogStaff);
        Description(b => b.WithName("StartBulkProductJob").WithTags("Admin catalog").ProducesValidationProblem());
        Summary(s =>
        {
            s.Summary = "Change the status, categories, prices or stock of many products in one background job";
            s.Description = "Select products by `productIds` (up to 10,000) or by `filter` (the product list's filters; every product matching "
                + "when the job starts). Each product changes in its own transaction with its audit row (before and after) and its event, "
                + "so the shop follows product by product; a product that cannot take the change (e.g. a price at or above its compare-at "
                + "price) is left unchanged and reported in the job's errors. Follow the job at GET /api/v1/admin/jobs/{id}; "
                + "POST /api/v1/admin/jobs/{id}/cancellation stops it after the current product, leaving the rest unchanged.";
            s.Responses[202] = "The job, queued; Location is its URL";
            s.Responses[400] = "The selection or the action's fields are not valid; `errors` names them";
        });
    }

    public sealed class Request : JsonBody<BulkProductJobRequest>;

    public sealed class Validator(IValidator<BulkProductJobRequest> rules) : JsonBodyValidator<Request, BulkProductJobRequest>(rules);

    public override async Task<Results<Accepted<Job>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var request = req.Body;
        await using var conn = await db.OpenConnectionAsync(ct);
        if (request.CategoryId is { } categoryId && !await conn.ExecuteScalarAsync<bool>(
                "select exists (select 1 from categories where id = @categoryId)", new { categoryId }))
        {
            return Validation(request.Action is "add_category" or "remove_category" ? "categoryId" : "filter.categoryId", $"No category has the id {categoryId}.");
        }
        if (request.Filter?.CategoryId is { } filterCategory && !await conn.ExecuteScalarAsync<bool>(
                "select exists (select 1 from categories where id = @filterCategory)", new { filterCategory }))
        {
            return Validation("filter.categoryId", $"No category has the id {filterCategory}.");
        }
        await using var tx = await conn.BeginTransactionAsync(ct);
        var actor = Actor.From(HttpContext);
        var input = JsonSerializer.SerializeToNode(request, ApiJsonContext.Default.BulkProductJobRequest);
        var id = await JobStore.EnqueueAsync(conn, tx, BulkProductJob.JobKind, input, actor.Id, ct: ct);
        await new WriteLog(conn, tx, actor).AuditAsync("product.bulk_job_started", "job", id.ToString(), null, input!.ToJsonString());
        await tx.CommitAsync(ct);
        var job = (await JobQueries.LoadAsync(conn, id, null, ct))!;
        return TypedResults.Accepted($"/api/v1/admin/jobs/{id}", job);
    }
}

public sealed class BulkProductJobRequestValidator : AbstractValidator<BulkProductJobRequest>
{
    public static readonly string[] Actions = ["set_status", "add_category", "remove_category", "set_price", "change_price_percent", "set_stock", "adjust_stock"];

    public BulkProductJobRequestValidator()
    {
        RuleFor(r => r).Must(r => (r.ProductIds is null) != (r.Filter is null)).OverridePropertyName("productIds")
            .WithMessage("Send either productIds (the selected products) or filter (all products matching it), not both.");
        RuleFor(r => r.ProductIds).Must(ids => ids is null || ids.Count is > 0 and <= 10_000).WithMessage("Select 1 to 10,000 products, or use filter.")
            .Must(ids => ids is null || ids.Distinct().Count() == ids.Count).WithMessage("Each product once.");
        RuleFor(r => r.Filter!.Status).Must(s => s is null or "draft" or "active" or "archived").OverridePropertyName("filter.status")
            .WithMessage("Use draft, active or archived.").When(r => r.Filter is not null);
        RuleFor(r => r.Filter!.Stock).Must(s => s is null or "in_stock" or "sold_out" or "low").OverridePropertyName("filter.stock")
            .WithMessage("Use in_stock, sold_out or low.").When(r => r.Filter is not null);
        RuleFor(r => r.Filter!.Q).Must(q => q is null || q.Length is > 0 and <= 100 && CatalogRules.NoControlCharacters(q)).OverridePropertyName("filter.q")
            .WithMessage("Search for 1-100 characters of a title, slug or SKU.").When(r => r.Filter is not null);
        RuleFor(r => r.Action).NotEmpty().WithMessage($"An action is required: {string.Join(", ", Actions)}.")
            .Must(a => a is null || Actions.Contains(a)).WithMessage($"Use one of: {string.Join(", ", Actions)}.");
        RuleFor(r => r.Status).NotNull().WithMessage("status is required for set_status.")
            .Must(s => s is "draft" or "active" or "archived").WithMessage("Use draft, active or archived.")
            .When(r => r.Action == "set_status");
        RuleFor(r => r.CategoryId).NotNull().WithMessage("categoryId is required for this action.")
            .When(r => r.Action is "add_category" or "remove_category");
        RuleFor(r => r.Amount).NotNull().WithMessage("amount (minor units) is required for set_price.")
            .InclusiveBetween(1, CatalogRules.MaxPrice).WithMessage($"The amount is in minor units, from 1 to {CatalogRules.MaxPrice}.")
            .When(r => r.Action == "set_price");
        RuleFor(r => r.Percent).NotNull().WithMessage("percent is required for change_price_percent (e.g. -10 for 10 % off).")
            .InclusiveBetween(-99m, 1000m).WithMessage("Use a percentage from -99 to 1000.")
            .NotEqual(0m).WithMessage("A change of 0 % changes nothing.")
            .When(r => r.Action == "change_price_percent");
        RuleFor(r => r.Quantity).NotNull().WithMessage("quantity is required for this action.")
            .InclusiveBetween(0, CatalogRules.MaxStock).When(r => r.Action == "set_stock");
        RuleFor(r => r.Quantity).NotNull().WithMessage("quantity (the change) is required for adjust_stock.")
            .InclusiveBetween(-CatalogRules.MaxStock, CatalogRules.MaxStock).NotEqual(0).When(r => r.Action == "adjust_stock");
        RuleFor(r => r.Reason).NotEmpty().WithMessage("Say why the stock changes (for the stock ledger).").MaximumLength(200)
            .When(r => r.Action is "set_stock" or "adjust_stock");
    }
}
