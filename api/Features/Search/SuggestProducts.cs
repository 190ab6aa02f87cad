using System.ComponentModel;
using Headless.Contracts.Search;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Headless.Api.Features.Search;

public static class SuggestProducts
{
    public const int MaxLength = 100;

    public static void Map(RouteGroupBuilder group) => group
        .MapGet("/suggest", Handle)
        .WithName("SuggestSearch")
        .WithSummary("Type-ahead: completions of the last word, matching product titles and categories")
        .WithDescription("The last word of `q` is taken as a prefix: `queries` completes it from the words the catalog uses (most common first), `products` are titles holding every word (in stock first), `categories` have a name word starting with it.")
        .ProducesValidationProblem();

    private static async Task<Results<Ok<SearchSuggestions>, ProblemHttpResult>> Handle(
        [Description("What the shopper has typed so far, 1-100 characters.")] string? q,
        [Description("Suggestions per kind, 1-10, default 5.")] int? limit,
        SearchService search, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var words = q is null ? [] : SearchQuery.SplitWords(q);
        if (q is null || words.Count == 0)
        {
            errors["q"] = ["Type at least one letter or digit."];
        }
        else if (q.Length > MaxLength || words.Count > SearchQuery.MaxWords || words.Any(w => w.Length > SearchQuery.MaxWordLength))
        {
            errors["q"] = [$"At most {MaxLength} characters, {SearchQuery.MaxWords} words of {SearchQuery.MaxWordLength} characters."];
        }
        var take = limit ?? 5;
        if (take is < 1 or > 10)
        {
            errors["limit"] = ["Use a limit from 1 to 10."];
        }
        if (errors.Count > 0)
        {
            return Platform.Problems.Problems.Validation(errors);
        }
        var suggestions = await search.SuggestAsync(words, take, ct);
        http.Response.Headers.CacheControl = "public, max-age=5";
        return TypedResults.Ok(suggestions);
    }
}
