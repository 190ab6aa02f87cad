using System.Diagnostics;
using System.Text.Json;
using FluentValidation.Results;
using Microsoft.AspNetCore.Mvc;

namespace Headless.Api.Platform.Endpoints;

/// <summary>
/// Turns the failures FastEndpoints collects before a handler runs into the API's problem documents:
/// JSON that cannot be read (malformed-json, keyed by its JSON path), route or query values that do not
/// parse (bad-parameter) and validator failures (validation, keyed by the field as the caller spells it).
/// </summary>
public static class BadInputProblems
{
    public const string UnreadableValue = "Missing, or not a value of the expected type.";
    private const string MalformedJson = "malformed-json";

    public static ValidationFailure FromJsonException(JsonException json)
    {
        if (json is FastEndpoints.JsonBindException bind)
        {
            return new ValidationFailure(bind.FieldName, UnreadableValue);
        }
        var path = string.IsNullOrEmpty(json.Path) ? "$" : json.Path;
        var message = json.Path is null ? "The body is not valid JSON." : "This value has the wrong type or is not valid JSON here.";
        return new ValidationFailure(path, message) { ErrorCode = MalformedJson };
    }

    public static object Build(List<ValidationFailure> failures, HttpContext http, int status)
    {
        var errors = failures
            .GroupBy(f => FieldPath(f.PropertyName))
            .ToDictionary(g => g.Key, g => g.Select(f => f.ErrorMessage).Distinct().ToArray());
        var malformed = failures.FirstOrDefault(f => f.ErrorCode == MalformedJson);
        var problem = malformed is not null
            ? new ProblemDetails
            {
                Title = "The request body is not valid",
                Type = Problems.Problems.TypeBase + "malformed-json",
                Detail = $"Fix the JSON at {malformed.PropertyName} and send the request again.",
            }
            : failures.All(f => f.ErrorMessage == UnreadableValue)
                ? new ProblemDetails
                {
                    Title = "A parameter is missing or has the wrong format",
                    Type = Problems.Problems.TypeBase + "bad-parameter",
                    Detail = $"Check the value of `{errors.Keys.First()}`.",
                }
                : new ProblemDetails
                {
                    Title = "The request has invalid fields",
                    Type = Problems.Problems.TypeBase + "validation",
                    Detail = "Correct the fields listed in `errors` and send the request again.",
                };
        problem.Status = status;
        problem.Instance = http.Request.Path;
        problem.Extensions["errors"] = errors;
        problem.Extensions["traceId"] = Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier;
        return problem;
    }

    // "Variants[0].Price.Amount" -> "variants[0].price.amount", matching the JSON the caller sent; JSON
    // paths ("$.variants[0]") and query keys come through as they are.
    internal static string FieldPath(string propertyName) =>
        string.Join('.', propertyName.Split('.').Select(part => part.Length == 0 ? part : char.ToLowerInvariant(part[0]) + part[1..]));
}
