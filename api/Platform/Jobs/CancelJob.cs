using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Platform.Jobs;

public sealed class CancelJob(NpgsqlDataSource db) : Endpoint<CancelJob.Request, Results<Accepted<Job>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/jobs/{id:guid}/cancellation");
        Group<AdminApi>();
        Policies(Security.Policies.CatalogStaff);
        RequestBinder(new RequestBinder<Request>(BindingSource.RouteValues));
        Description(b => b.WithName("CancelJob").WithTags("Admin jobs")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict));
        Summary(s =>
        {
            s.Summary = "Ask a background job to stop";
            s.Description = "A queued job is cancelled at once; a running one stops after the item it is working on (within about a second) " +
                "and ends `cancelled`, keeping what it finished (an import keeps the products it already applied, each complete). " +
                "Answers 202 with the job as it stands; poll GET until its status is final. Asking again is harmless. " +
                "No If-Match: the request changes nothing a person edits, and progress moves the job's version every moment. " +
                "409 when the job had already ended.";
        });
    }

    public sealed class Request
    {
        [RouteParam]
        public Guid Id { get; set; }
    }

    public override async Task<Results<Accepted<Job>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var current = await JobQueries.LoadAsync(conn, req.Id, kind: null, ct);
        if (current is null)
        {
            return Problems.Problems.NotFound($"No job has the id {req.Id}.");
        }
        if (current.Status is "succeeded" or "failed" or "cancelled")
        {
            return Problems.Problems.Conflict($"The job already ended ({current.Status}); there is nothing to stop.");
        }
        await JobStore.RequestCancelAsync(conn, req.Id, ct);
        var log = new WriteLog(conn, tx, Actor.From(HttpContext));
        await log.AuditAsync("job.cancellation-requested", "job", req.Id.ToString(), $$"""{"status":"{{current.Status}}"}""", null);
        await tx.CommitAsync(ct);
        var job = await JobQueries.LoadAsync(conn, req.Id, kind: null, ct);
        return TypedResults.Accepted($"/api/v1/admin/jobs/{req.Id}", job!);
    }
}
