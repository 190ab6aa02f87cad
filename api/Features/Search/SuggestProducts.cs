using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Search;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Headless.Api.Features.Search;

public sealed class SuggestProducts(SearchService search)
    : Endpoint<SuggestProducts.Request, Results<Ok<SearchSuggestions>, ProblemHttpResult>>
{
    public const int MaxLength = 100;

    public override void Configure()
    {
        Get("/search/suggest");
        Group<PublicApi>();
        AllowAnonymous();
        Description(b => b.WithName("SuggestSearch").WithTags("Search").ProducesValidationProblem());
        Summary(s =>
        {
            s.Summary = "Type-ahead: completions of the last word, matching product titles and categories";
            s.Description = "The last word of `q` is taken as a prefix: `queries` completes it from the words the catalog uses (most common first), `products` are titles holding every word (in stock first), `categories` have a name word starting with it.";
        });
    }

    public sealed class Request
    {
        /// <summary>What the shopper has typed so far, 1-100 characters.</summary>
        public string? Q { get; set; }
        /// <summary>Suggestions per kind, 1-10, default 5.</summary>
        public int? Limit { get; set; }
    }

    public override async Task<Results<Ok<SearchSuggestions>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (q, limit, http) = (req.Q, req.Limit, HttpContext);
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
