using System.Text.Json;
using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Telemetry;
using Headless.Contracts.Catalog;
using Npgsql;

namespace Headless.Api.Features.Catalog.Categories;

public sealed class GetCategoryTree(CatalogCache cache, NpgsqlDataSource db) : EndpointWithoutRequest<CachedJson<CategoryTree>>
{
    public override void Configure()
    {
        Get("/categories");
        Group<PublicApi>();
        AllowAnonymous();
        Description(b => b.WithName("GetCategoryTree").WithTags("Catalog"));
        Summary(s => s.Summary = "List all categories as a tree, ordered by position then name");
    }


    public override async Task<CachedJson<CategoryTree>> ExecuteAsync(CancellationToken ct)
    {
        var cached = cache.Categories;
        HeadlessMetrics.CacheRead("categories", hit: cached is not null);
        if (cached is not null)
        {
            return new CachedJson<CategoryTree>(cached, CacheControl.Categories);
        }
        var ticket = cache.GlobalTicket();
        await using var conn = await db.OpenConnectionAsync(ct);
        var tree = new CategoryTree(await LoadAsync(conn));
        var body = new CachedBody(JsonSerializer.SerializeToUtf8Bytes(tree, ApiJsonContext.Default.CategoryTree));
        cache.StoreCategories(ticket, body);
        return new CachedJson<CategoryTree>(body, CacheControl.Categories);
    }

    public static async Task<IReadOnlyList<CategoryNode>> LoadAsync(NpgsqlConnection conn, NpgsqlTransaction? tx = null)
    {
        var rows = (await conn.QueryAsync<CategoryRow>("""
            select id, parent_id, slug, name, description, position, version from categories order by position, name, id
            """, transaction: tx)).ToList();
        var byParent = rows.ToLookup(r => r.ParentId);
        return Build(null);

        List<CategoryNode> Build(Guid? parent) => byParent[parent]
            .Select(r => new CategoryNode(r.Id, r.Slug, r.Name, r.Description, r.ParentId, r.Position, r.Version, Build(r.Id)))
            .ToList();
    }

    private sealed record CategoryRow(Guid Id, Guid? ParentId, string Slug, string Name, string Description, int Position, int Version);
}
