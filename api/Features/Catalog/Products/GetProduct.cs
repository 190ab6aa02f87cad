using System.Text.Json;
using FastEndpoints;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Json;
using Headless.Contracts.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Features.Catalog.Products;

public sealed class GetProduct(CatalogCache cache, NpgsqlDataSource db)
    : Endpoint<GetProduct.Request, Results<CachedJson<ProductDetail>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/products/{idOrSlug}");
        Group<PublicApi>();
        RequestBinder(new SlugBinder());
        AllowAnonymous();
        Description(b => b.WithName("GetProduct").WithTags("Catalog").ProducesProblem(StatusCodes.Status404NotFound));
        Summary(s =>
        {
            s.Summary = "Get an active product by id or slug, with its variants and live availability";
            s.Description = "Served from an in-process cache that every catalog or stock change invalidates within milliseconds. Honours If-None-Match.";
        });
    }

    public sealed class Request
    {
        /// <summary>The product's id (UUID) or its slug.</summary>
        [RouteParam]
        public string IdOrSlug { get; set; } = "";
    }

    // The hottest read in the shop: one route value, read directly instead of through the general binder.
    private sealed class SlugBinder : IRequestBinder<Request>
    {
        public ValueTask<Request> BindAsync(BinderContext ctx, CancellationToken ct) =>
            ValueTask.FromResult(new Request { IdOrSlug = ctx.HttpContext.Request.RouteValues["idOrSlug"] as string ?? "" });
    }

    public override async Task<Results<CachedJson<ProductDetail>, ProblemHttpResult>> ExecuteAsync(Request request, CancellationToken ct)
    {
        var idOrSlug = request.IdOrSlug;
        var body = Guid.TryParse(idOrSlug, out var id)
            ? await ByIdAsync(id, cache, db)
            : await BySlugAsync(idOrSlug, cache, db);
        return body is null
            ? Platform.Problems.Problems.NotFound($"No product '{Truncate(idOrSlug)}' is for sale. Check the slug or id; drafts and archived products are not public.")
            : new CachedJson<ProductDetail>(body, CacheControl.Product);
    }

    private static async Task<CachedBody?> BySlugAsync(string slug, CatalogCache cache, NpgsqlDataSource db)
    {
        if (slug.Length > 200)
        {
            return null;
        }
        if (cache.TryResolveSlug(slug, out var id) && cache.IsSlugOf(id, slug) && cache.TryGetProduct(id, out var cached))
        {
            return cached;
        }
        // One connection for the slug lookup and the load.
        await using var conn = await db.OpenConnectionAsync();
        if (await ProductQueries.FindIdBySlugAsync(conn, slug) is not { } productId)
        {
            return null;
        }
        return cache.TryGetProduct(productId, out cached) ? cached : await LoadAsync(productId, cache, conn);
    }

    private static async Task<CachedBody?> ByIdAsync(Guid id, CatalogCache cache, NpgsqlDataSource db)
    {
        if (cache.TryGetProduct(id, out var cached))
        {
            return cached;
        }
        await using var conn = await db.OpenConnectionAsync();
        return await LoadAsync(id, cache, conn);
    }

    private static async Task<CachedBody?> LoadAsync(Guid id, CatalogCache cache, NpgsqlConnection conn)
    {
        var ticket = cache.TicketFor(id);
        var product = await ProductQueries.LoadAsync(conn, id, activeVariantsOnly: true);
        if (product is not { Status: "active" })
        {
            return null;
        }
        var body = new CachedBody(JsonSerializer.SerializeToUtf8Bytes(product, ApiJsonContext.Default.ProductDetail));
        cache.StoreProduct(ticket, id, product.Slug, body);
        return body;
    }

    private static string Truncate(string value) => value.Length <= 80 ? value : value[..80] + "…";
}
