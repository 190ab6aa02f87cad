using Dapper;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Admin;

public static class ArchiveProduct
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/products/{id:guid}/archive", Handle)
        .WithName("ArchiveProduct")
        .WithSummary("Archive a product: it leaves the shop, its page is removed, its history stays. If-Match is optional")
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status412PreconditionFailed);

    private static async Task<Results<Ok<ProductDetail>, ProblemHttpResult>> Handle(
        Guid id, [FromHeader(Name = "If-Match")] string? ifMatch, HttpContext http, NpgsqlDataSource db, CatalogCache cache, CancellationToken ct)
    {
        var expected = Versions.ParseIfMatch(ifMatch);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var log = new WriteLog(conn, tx, Actor.From(http));

        var current = await ProductWrites.LockAsync(log, id);
        if (current is null)
        {
            return NotFound($"No product has the id {id}.");
        }
        if (!expected.IsMissing && expected.Version != current.Version)
        {
            return PreconditionFailed($"The product is at version {current.Version} ({Versions.ETag(current.Version)}).");
        }
        var before = await ProductWrites.LoadAsync(log, id);
        if (current.Status != "archived")
        {
            await conn.ExecuteAsync(
                "update products set status = 'archived', version = version + 1, updated_at = now() where id = @id", new { id }, tx);
            var after = await ProductWrites.LoadAsync(log, id);
            await ProductWrites.RecordAsync(log, "product.archived", id, before, after);
            before = after;
        }
        await tx.CommitAsync(ct);
        cache.InvalidateProduct(id);

        Versions.SetETag(http, before!.Version);
        return TypedResults.Ok(before);
    }
}
