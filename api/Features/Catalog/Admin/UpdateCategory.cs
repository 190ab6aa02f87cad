using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Admin;

public sealed class UpdateCategory(NpgsqlDataSource db, CatalogCache cache)
    : Endpoint<UpdateCategory.Request, Results<Ok<CategoryNode>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Patch("/categories/{id:guid}");
        Group<AdminApi>();
        Options(b => b.WithMetadata(Platform.Http.IfMatchRequired.Metadata));
        Policies(Platform.Security.Policies.CatalogStaff);
        Description(b => b.WithName("UpdateCategory").WithTags("Admin catalog")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired));
        Summary(s => s.Summary = "Rename, re-slug, re-order or move a category. Requires If-Match with the category's ETag");
    }

    public sealed class Request : JsonBody<UpdateCategoryRequest>
    {
        [RouteParam]
        public Guid Id { get; set; }

        /// <summary>The category's ETag from GET, e.g. "v3".</summary>
        [FromHeader("If-Match", IsRequired = false)]
        public string? IfMatch { get; set; }
    }

    public sealed class Validator(IValidator<UpdateCategoryRequest> rules) : JsonBodyValidator<Request, UpdateCategoryRequest>(rules);

    public override async Task<Results<Ok<CategoryNode>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (id, request, ifMatch, http) = (req.Id, req.Body, req.IfMatch, HttpContext);
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
        if (request.ParentId is { } parentId)
        {
            if (!await CategoryWrites.ExistsAsync(log, parentId))
            {
                return Validation("parentId", $"No category has the id {parentId}.");
            }
            var wouldCycle = await conn.ExecuteScalarAsync<bool>("""
                with recursive subtree as (
                    select id from categories where id = @id
                    union all
                    select c.id from categories c join subtree s on c.parent_id = s.id
                )
                select exists (select 1 from subtree where id = @parentId)
                """, new { id, parentId }, tx);
            if (wouldCycle)
            {
                return Validation("parentId", "A category cannot move under itself or one of its descendants.");
            }
        }
        if (request.Slug is not null && await CategoryWrites.SlugTakenAsync(log, request.Slug, id))
        {
            return Conflict($"The slug '{request.Slug}' is taken by another category.",
                new Dictionary<string, string[]> { ["slug"] = ["This slug is already used; choose another."] });
        }
        await conn.ExecuteAsync("""
            update categories set
                slug = coalesce(@slug, slug),
                name = coalesce(@name, name),
                description = coalesce(@description, description),
                position = coalesce(@position, position),
                parent_id = case when @moveToRoot then null else coalesce(@parentId, parent_id) end,
                version = version + 1,
                updated_at = now()
            where id = @id
            """, new { id, slug = request.Slug, name = request.Name, description = request.Description, position = request.Position, parentId = request.ParentId, moveToRoot = request.MoveToRoot == true }, tx);
        var after = (await CategoryWrites.GetAsync(log, id))!;
        await CategoryWrites.RecordAsync(log, "category.updated", id, before, after);
        await tx.CommitAsync(ct);
        cache.InvalidateAll();

        Versions.SetETag(http, after.Version);
        return TypedResults.Ok(after);
    }
}
