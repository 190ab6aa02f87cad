using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Admin;

public sealed class ArchiveProduct(NpgsqlDataSource db, CatalogCache cache)
    : Endpoint<ArchiveProduct.Request, Results<Ok<ProductDetail>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/products/{id:guid}/archive");
        Group<AdminApi>();
        Options(b => b.WithMetadata(Platform.Http.IfMatchRequired.Metadata));
        Policies(Platform.Security.Policies.CatalogStaff);
        // Route and If-Match only: no body is read (the C# SDK sends an empty application/json one with a
        // bodyless POST), and a query value of the same name must not replace a route value.
        RequestBinder(new RequestBinder<Request>(BindingSource.RouteValues | BindingSource.Headers));
        Description(b => b.WithName("ArchiveProduct").WithTags("Admin catalog")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired));
        Summary(s => s.Summary = "Archive a product: it leaves the shop, its page is removed, its history stays. Requires If-Match with the product's ETag");
    }

    public sealed class Request
    {
        public Guid Id { get; set; }

        /// <summary>The product's ETag from GET, e.g. "v3".</summary>
        [FromHeader("If-Match", IsRequired = false)]
        public string? IfMatch { get; set; }
    }

    public override async Task<Results<Ok<ProductDetail>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
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

        var current = await ProductWrites.LockAsync(log, id);
        if (current is null)
        {
            return NotFound($"No product has the id {id}.");
        }
        if (expected.Version != current.Version)
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
