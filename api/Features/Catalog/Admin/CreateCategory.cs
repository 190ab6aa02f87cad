using Dapper;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Admin;

public static class CreateCategory
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/categories", Handle)
        .WithName("CreateCategory")
        .WithSummary("Create a category, at the root or under a parent")
        .Validate<CreateCategoryRequest>()
        .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<Results<Created<CategoryNode>, ProblemHttpResult>> Handle(
        CreateCategoryRequest request, HttpContext http, NpgsqlDataSource db, CatalogCache cache, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var log = new WriteLog(conn, tx, Actor.From(http));
        if (request.ParentId is { } parentId && !await CategoryWrites.ExistsAsync(log, parentId))
        {
            return Validation("parentId", $"No category has the id {parentId}.");
        }
        var id = Guid.CreateVersion7();
        var inserted = await conn.ExecuteAsync("""
            insert into categories (id, parent_id, slug, name, description, position)
            values (@id, @parentId, @slug, @name, @description, @position)
            on conflict (slug) do nothing
            """, new { id, parentId = request.ParentId, slug = request.Slug, name = request.Name, description = request.Description ?? "", position = request.Position ?? 0 }, tx);
        if (inserted == 0)
        {
            return Conflict($"The slug '{request.Slug}' is taken by another category.",
                new Dictionary<string, string[]> { ["slug"] = ["This slug is already used; choose another."] });
        }
        var created = (await CategoryWrites.GetAsync(log, id))!;
        await CategoryWrites.RecordAsync(log, "category.created", id, null, created);
        await tx.CommitAsync(ct);
        cache.InvalidateAll();

        Versions.SetETag(http, created.Version);
        return TypedResults.Created($"/api/v1/admin/categories/{id}", created);
    }
}
