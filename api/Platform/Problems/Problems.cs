using Microsoft.AspNetCore.Http.HttpResults;

namespace Headless.Api.Platform.Problems;

/// <summary>The RFC 9457 problem responses the API returns, one place for their titles and types.</summary>
public static class Problems
{
    public const string TypeBase = "https://headless.dev/problems/";

    public static ProblemHttpResult NotFound(string detail) =>
        Make(StatusCodes.Status404NotFound, "not-found", "Not found", detail);

    public static ProblemHttpResult Conflict(string detail, IDictionary<string, string[]>? errors = null) =>
        Make(StatusCodes.Status409Conflict, "conflict", "Conflict", detail, errors);

    public static ProblemHttpResult PreconditionFailed(string detail) =>
        Make(StatusCodes.Status412PreconditionFailed, "stale-version", "The resource changed since you read it", detail);

    public static ProblemHttpResult PreconditionRequired() =>
        Make(StatusCodes.Status428PreconditionRequired, "if-match-required", "If-Match header required",
            "Send the ETag you got from GET in an If-Match header, so a concurrent edit is not overwritten.");

    public static ProblemHttpResult Validation(IDictionary<string, string[]> errors, string? detail = null) =>
        Make(StatusCodes.Status400BadRequest, "validation", "The request has invalid fields",
            detail ?? "Correct the fields listed in `errors` and send the request again.", errors);

    public static ProblemHttpResult Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    public static ProblemHttpResult Make(int status, string type, string title, string detail, IDictionary<string, string[]>? errors = null)
    {
        var extensions = new Dictionary<string, object?>();
        if (errors is not null)
        {
            extensions["errors"] = errors;
        }
        return TypedResults.Problem(detail, statusCode: status, title: title, type: TypeBase + type, extensions: extensions);
    }
}
