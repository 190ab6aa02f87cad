using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Jobs;
using Headless.Contracts.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Features.Catalog.Imports;

public sealed class GetImport(NpgsqlDataSource db) : Endpoint<GetImport.Request, Results<Ok<Job>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/imports/{id:guid}");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.CatalogStaff);
        RequestBinder(new RequestBinder<Request>(BindingSource.RouteValues));
        Description(b => b.WithName("GetImport").WithTags("Admin imports").ProducesProblem(StatusCodes.Status404NotFound));
        Summary(s =>
        {
            s.Summary = "Get a product import: status, progress, counts and the bad cells";
            s.Description = "The import's job. While it runs, `processed` of `total` products and `percent`. A file with bad cells ends `failed` with nothing written and each bad cell in `errors` " +
                "(`row` as a spreadsheet numbers it, the header being row 1, `column` the header's name). A product the database refused while applying is counted in `failed` with its error. " +
                "`result` holds rows, products and variants read, created, updated and unchanged products, and the ignored columns.";
        });
    }

    public sealed class Request
    {
        [RouteParam]
        public Guid Id { get; set; }
    }

    public override async Task<Results<Ok<Job>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var job = await JobQueries.LoadAsync(conn, req.Id, ProductImportHandler.JobKind, ct);
        if (job is null)
        {
            return Platform.Problems.Problems.NotFound($"No product import has the id {req.Id}.");
        }
        Versions.SetETag(HttpContext, job.Version);
        HttpContext.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(job);
    }
}
