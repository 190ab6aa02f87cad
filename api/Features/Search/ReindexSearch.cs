using Headless.Contracts.Search;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Headless.Api.Features.Search;

public static class ReindexSearch
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/search/reindex", Handle)
        .WithName("ReindexSearch")
        .WithSummary("Rebuild the whole search index from the catalog (OpenSearch: a new index, then the alias is swapped)")
        .ProducesProblem(StatusCodes.Status409Conflict);

    private static readonly SemaphoreSlim Running = new(1, 1);

    private static async Task<Results<Ok<SearchReindexResult>, ProblemHttpResult>> Handle(ISearchIndex index, CancellationToken ct)
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
