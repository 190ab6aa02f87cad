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

public sealed class CreateCategory(NpgsqlDataSource db, CatalogCache cache)
    : Endpoint<CreateCategory.Request, Results<Created<CategoryNode>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/categories");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.CatalogStaff);
        Description(b => b.WithName("CreateCategory").WithTags("Admin catalog").ProducesProblem(StatusCodes.Status409Conflict));
        Summary(s => s.Summary = "Create a category, at the root or under a parent");
    }

    public sealed class Request : JsonBody<CreateCategoryRequest>;

    public sealed class Validator(IValidator<CreateCategoryRequest> rules) : JsonBodyValidator<Request, CreateCategoryRequest>(rules);

    public override async Task<Results<Created<CategoryNode>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = (req.Body, HttpContext);
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
