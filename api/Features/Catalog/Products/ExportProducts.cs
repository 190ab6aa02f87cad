using System.Text.Json;
using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Json;
using Headless.Contracts.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Features.Catalog.Products;

/// <summary>
/// Every active product with its categories and active variants, in id order, in pages of up to 500:
/// what a static site generator or a product feed needs, in three queries a page instead of one request
/// per product. Not cached: it is read in bulk, rarely.
/// </summary>
public sealed class ExportProducts(NpgsqlDataSource db)
    : Endpoint<ExportProducts.Request, Results<CachedJson<ProductDetailPage>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/catalog/products");
        Group<PublicApi>();
        AllowAnonymous();
        Description(b => b.WithName("ExportCatalogProducts").WithTags("Catalog").ProducesValidationProblem());
        Summary(s =>
        {
            s.Summary = "Read every active product in full (categories, variants, availability), in id order";
            s.Description = "For static site generators and product feeds. The first page (no cursor) carries `total`, the number of active products. Pass `nextCursor` back as `cursor` until it is null. The same documents as GET /api/v1/products/{idOrSlug}.";
        });
    }

    public sealed class Request
    {
        /// <summary>The nextCursor of the previous page, unchanged; omit to start.</summary>
        public string? Cursor { get; set; }
        /// <summary>Products per page, 1-500, default 200.</summary>
        public int? Limit { get; set; }
    }

    public override async Task<Results<CachedJson<ProductDetailPage>, ProblemHttpResult>> ExecuteAsync(Request request, CancellationToken ct)
    {
        var (cursor, limit) = (request.Cursor, request.Limit);
        var take = limit ?? 200;
        if (take is < 1 or > 500)
        {
            return Platform.Problems.Problems.Validation("limit", "Use a limit from 1 to 500.");
        }
        var after = Guid.Empty;
        if (cursor is not null && !Guid.TryParseExact(cursor, "N", out after))
        {
            return Platform.Problems.Problems.Validation("cursor", "This cursor is not one this route gave out. Pass nextCursor unchanged, or omit it to start.");
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        var products = (await conn.QueryAsync<ProductQueries.ProductRow>($"""
            select {ProductQueries.ProductColumns}
            from products where status = 'active' and id > @after order by id limit @take
            """, new { after, take = take + 1 })).ToList();
        var page = products.Take(take).ToList();
        int? total = cursor is null ? await conn.ExecuteScalarAsync<int>("select count(*)::int from products where status = 'active'") : null;

        var ids = page.Select(p => p.Id).ToArray();
        await using var grid = await conn.QueryMultipleAsync($"""
            select pc.product_id, c.id, c.slug, c.name
            from product_categories pc join categories c on c.id = pc.category_id
            where pc.product_id = any(@ids) order by pc.product_id, c.slug;
            select {ProductQueries.VariantColumns}
            from variants v left join inventory i on i.sku = v.sku
            where v.product_id = any(@ids) and v.status = 'active' order by v.product_id, v.position, v.sku;
            """, new { ids });
        var categories = (await grid.ReadAsync<CategoryRow>()).ToLookup(c => c.ProductId);
        var variants = (await grid.ReadAsync<ProductQueries.VariantRow>()).ToLookup(v => v.ProductId);
        var items = page.Select(p => p.ToContract(
            categories[p.Id].Select(c => new CategoryRef(c.Id, c.Slug, c.Name)).ToList(),
            variants[p.Id].Select(v => v.ToContract()).ToList())).ToList();
        var next = products.Count > take ? page[^1].Id.ToString("N") : null;
        var body = new CachedBody(JsonSerializer.SerializeToUtf8Bytes(new ProductDetailPage(items, next, total), ApiJsonContext.Default.ProductDetailPage));
        return new CachedJson<ProductDetailPage>(body, CacheControl.Feed);
    }

    private sealed record CategoryRow(Guid ProductId, Guid Id, string Slug, string Name);
}
