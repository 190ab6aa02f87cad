using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Search;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Headless.Api.Features.Search.Admin;

public sealed class ReindexSearch(ISearchIndex index)
    : EndpointWithoutRequest<Results<Ok<SearchReindexResult>, ProblemHttpResult>>
{
    // Static: an endpoint instance lives for one request; one rebuild at a time per process.
    private static readonly SemaphoreSlim Running = new(1, 1);

    public override void Configure()
    {
        Post("/search/reindex");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.Admin);
        Description(b => b.WithName("ReindexSearch").WithTags("Admin search").ProducesProblem(StatusCodes.Status409Conflict));
        Summary(s => s.Summary = "Rebuild the whole search index from the catalog (OpenSearch: a new index, then the alias is swapped)");
    }

    public override async Task<Results<Ok<SearchReindexResult>, ProblemHttpResult>> ExecuteAsync(CancellationToken ct)
    {
        if (!await Running.WaitAsync(0, ct))
        {
            return Platform.Problems.Problems.Conflict("A reindex is already running on this instance.");
        }
        try
        {
            return TypedResults.Ok(await index.RebuildAsync(ct));
        }
        finally
        {
            Running.Release();
        }
    }
}
