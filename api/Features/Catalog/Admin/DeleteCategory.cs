using Dapper;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Admin;

public static class DeleteCategory
{
    public static void Map(RouteGroupBuilder group) => group
        .MapDelete("/categories/{id:guid}", Handle)
        .WithName("DeleteCategory")
        .WithSummary("Delete an empty category (no sub-categories, no products). If-Match is optional")
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status412PreconditionFailed);

    private static async Task<Results<NoContent, ProblemHttpResult>> Handle(
        Guid id, [FromHeader(Name = "If-Match")] string? ifMatch, HttpContext http, NpgsqlDataSource db, CatalogCache cache, CancellationToken ct)
    {
        var expected = Versions.ParseIfMatch(ifMatch);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var log = new WriteLog(conn, tx, Actor.From(http));
        var before = await CategoryWrites.GetAsync(log, id, forUpdate: true);
        if (before is null)
        {
            return NotFound($"No category has the id {id}.");
        }
        if (!expected.IsMissing && expected.Version != before.Version)
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
