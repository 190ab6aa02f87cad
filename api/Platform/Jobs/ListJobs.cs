using System.Text;
using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Platform.Jobs;

public sealed class ListJobs(NpgsqlDataSource db) : Endpoint<ListJobs.Request, Results<Ok<JobPage>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/jobs");
        Group<AdminApi>();
        Policies(Security.Policies.CatalogStaff);
        Description(b => b.WithName("ListJobs").WithTags("Admin jobs").ProducesValidationProblem());
        Summary(s =>
        {
            s.Summary = "List background jobs (imports, bulk edits), newest first";
            s.Description = "Each job's kind, status (queued, running, succeeded, failed, cancelled), counts and percent. " +
                "Filter by `kind` and `status`; pass `nextCursor` back as `cursor` for the next page. Errors are in the job's own GET.";
        });
    }

    public sealed class Request
    {
        /// <summary>Only jobs of this kind, e.g. product-import.</summary>
        public string? Kind { get; set; }
        /// <summary>Only jobs in this status: queued, running, succeeded, failed or cancelled.</summary>
        public string? Status { get; set; }
        /// <summary>The nextCursor of the previous page.</summary>
        public string? Cursor { get; set; }
        /// <summary>Page size, 1-100, default 20.</summary>
        public int? Limit { get; set; }
    }

    public override async Task<Results<Ok<JobPage>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var take = req.Limit ?? 20;
        if (take is < 1 or > 100)
        {
            return Validation("limit", "Use a limit from 1 to 100.");
        }
        if (req.Kind?.Length > 100)
        {
            return Validation("kind", "At most 100 characters.");
        }
        if (req.Status is { } status && !JobStore.Statuses.Contains(status))
        {
            return Validation("status", "Use queued, running, succeeded, failed or cancelled.");
        }
        Guid? before = null;
        if (req.Cursor is { } cursor)
        {
            before = ParseCursor(cursor);
            if (before is null)
            {
                return Validation("cursor", "This cursor is not one the API gave out. Start again without it.");
            }
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = await JobQueries.ListAsync(conn, req.Kind, req.Status, before, take + 1, ct);
        var next = rows.Count > take ? Cursor(rows[take - 1].Id) : null;
        HttpContext.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new JobPage(rows.Take(take).ToList(), next));
    }

    private static string Cursor(Guid id) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes("job:" + id.ToString("N"))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static Guid? ParseCursor(string cursor)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(cursor.Replace('-', '+').Replace('_', '/').PadRight((cursor.Length + 3) / 4 * 4, '=')));
            return text.StartsWith("job:", StringComparison.Ordinal) && Guid.TryParseExact(text[4..], "N", out var id) ? id : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
