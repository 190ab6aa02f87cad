using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Admin;

public sealed class DeleteCategory(NpgsqlDataSource db, CatalogCache cache)
    : Endpoint<DeleteCategory.Request, Results<NoContent, ProblemHttpResult>>
{
    public override void Configure()
    {
        Delete("/categories/{id:guid}");
        Group<AdminApi>();
        Options(b => b.WithMetadata(Platform.Http.IfMatchRequired.Metadata));
        Policies(Platform.Security.Policies.CatalogStaff);
        // Route and If-Match only: no body is read, and a query value of the same name must not replace
        // a route value.
        RequestBinder(new RequestBinder<Request>(BindingSource.RouteValues | BindingSource.Headers));
        Description(b => b.WithName("DeleteCategory").WithTags("Admin catalog")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired));
        Summary(s => s.Summary = "Delete an empty category (no sub-categories, no products). Requires If-Match with the category's ETag");
    }

    public sealed class Request
    {
        public Guid Id { get; set; }

        /// <summary>The category's ETag from GET, e.g. "v3"; optional.</summary>
        [FromHeader("If-Match", IsRequired = false)]
        public string? IfMatch { get; set; }
    }

    public override async Task<Results<NoContent, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (id, ifMatch, http) = (req.Id, req.IfMatch, HttpContext);
        var expected = Versions.ParseIfMatch(ifMatch);
        if (expected.IsMissing)
        {
            return PreconditionRequired();
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var log = new WriteLog(conn, tx, Actor.From(http));
        var before = await CategoryWrites.GetAsync(log, id, forUpdate: true);
        if (before is null)
        {
            return NotFound($"No category has the id {id}.");
        }
        if (expected.Version != before.Version)
        {
            return PreconditionFailed($"The category is at version {before.Version} ({Versions.ETag(before.Version)}).");
        }
        var usage = await conn.QuerySingleAsync<(long Children, long Products)>("""
            select (select count(*) from categories where parent_id = @id), (select count(*) from product_categories where category_id = @id)
            """, new { id }, tx);
        if (usage.Children > 0 || usage.Products > 0)
        {
            return Conflict($"The category still has {usage.Children} sub-categories and {usage.Products} products. Move them first.");
        }
        await conn.ExecuteAsync("delete from categories where id = @id", new { id }, tx);
        await CategoryWrites.RecordAsync(log, "category.deleted", id, before, null);
        await tx.CommitAsync(ct);
        cache.InvalidateAll();
        return TypedResults.NoContent();
    }
}
