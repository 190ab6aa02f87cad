using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Contracts.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Platform.Jobs;

public sealed class GetJob(NpgsqlDataSource db) : Endpoint<GetJob.Request, Results<Ok<Job>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/jobs/{id:guid}");
        Group<AdminApi>();
        Policies(Security.Policies.CatalogStaff);
        RequestBinder(new RequestBinder<Request>(BindingSource.RouteValues));
        Description(b => b.WithName("GetJob").WithTags("Admin jobs").ProducesProblem(StatusCodes.Status404NotFound));
        Summary(s =>
        {
            s.Summary = "Get a background job: status, counts, percent done and errors";
            s.Description = "Poll it while the job runs: progress is written at most every 250 ms. `percent` is null until the job knows its total. " +
                "`errors` holds the first 1,000 problems (`errorCount` counts them all), each naming its row and column or item. `result` is the kind's summary.";
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
        var job = await JobQueries.LoadAsync(conn, req.Id, kind: null, ct);
        if (job is null)
        {
            return Problems.Problems.NotFound($"No job has the id {req.Id}.");
        }
        Versions.SetETag(HttpContext, job.Version);
        HttpContext.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(job);
    }
}
