using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Headless.Api.Platform.Problems;

public static class ProblemSetup
{
    public static IServiceCollection AddProblemResponses(this IServiceCollection services)
    {
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            ctx.ProblemDetails.Extensions["traceId"] = Activity.Current?.TraceId.ToString() ?? ctx.HttpContext.TraceIdentifier;
            ctx.ProblemDetails.Instance ??= ctx.HttpContext.Request.Path;
            if (ctx.ProblemDetails.Type is null or "" || ctx.ProblemDetails.Type.StartsWith("https://tools.ietf.org", StringComparison.Ordinal))
            {
                ctx.ProblemDetails.Type = Problems.TypeBase + "http-" + ctx.ProblemDetails.Status;
            }
        });
        services.AddExceptionHandler<BadInputExceptionHandler>();
        return services;
    }
}

/// <summary>Turns what the framework throws on bad input (malformed JSON, wrong types, a body too large,
/// a database constraint) into a 4xx problem that says what to fix, a database that cannot be reached
/// into a 503 with Retry-After, and anything else into a 500 that names nothing inside: no exception
/// text (constraint names, SQL, provider messages) ever reaches the client, only the traceId.</summary>
internal sealed class BadInputExceptionHandler(IProblemDetailsService problems, ILogger<BadInputExceptionHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        var problem = exception switch
        {
            BadHttpRequestException { InnerException: JsonException json } => JsonProblem(json),
            BadHttpRequestException { StatusCode: 413 } => new ProblemDetails
            {
                Status = 413,
                Title = "Request body too large",
                Type = Problems.TypeBase + "body-too-large",
                Detail = "The request body is larger than the API accepts. Send a smaller body.",
            },
            BadHttpRequestException bad when BoundParameter(bad) is { } parameter => ParameterProblem(parameter),
            BadHttpRequestException bad => new ProblemDetails
            {
                Status = bad.StatusCode,
                Title = bad.StatusCode == 415 ? "Unsupported media type" : "Bad request",
                Type = Problems.TypeBase + (bad.StatusCode == 415 ? "unsupported-media-type" : "bad-request"),
                Detail = bad.StatusCode == 415
                    ? "Send the body as JSON with Content-Type: application/json."
                    : "The request could not be read. Check the body, headers and query values.",
            },
            PostgresException { SqlState: PostgresErrorCodes.CheckViolation or PostgresErrorCodes.ForeignKeyViolation or PostgresErrorCodes.UniqueViolation } =>
                new ProblemDetails
                {
                    Status = 409,
                    Title = "Conflict",
                    Type = Problems.TypeBase + "conflict",
                    Detail = "The change conflicts with the current data. Reload and try again.",
                },
            Vaults.WrongRegionException wrong => Vaults.VaultProblems.WrongRegion(wrong),
            Vaults.VaultUnavailableException vault => Vaults.VaultProblems.Unavailable(http, vault),
            _ when DatabaseUnavailable.Is(exception) => DatabaseUnavailable.Problem(http),
            _ => null,
        };
        if (problem?.Status == 503)
        {
            // Expected while PostgreSQL restarts or fails over (or a vault or its key is out of reach): no stack
            // trace, the cause in short.
            log.LogWarning("Unavailable on {Method} {Route} ({Error}); answered 503", http.Request.Method,
                LogRedaction.Route(http), Outbox.OutboxErrors.Describe(exception));
        }
        else if (problem is null)
        {
            // The exception's type and SQL state, not its message: messages can carry values (an email in
            // a failed insert, a token in a URL); and the route pattern, never the path, which holds cart tokens.
            // The stack trace stays (method names, no values).
            log.LogError("Unhandled error on {Method} {Route}: {Error}\n{StackTrace}", http.Request.Method, LogRedaction.Route(http),
                Outbox.OutboxErrors.Describe(exception), exception.StackTrace);
            problem = new ProblemDetails
            {
                Status = 500,
                Title = "Internal error",
                Type = Problems.TypeBase + "internal",
                Detail = "Something went wrong on our side. Try again; if it keeps happening, report the traceId.",
            };
        }
        http.Response.StatusCode = problem.Status ?? 400;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem, Exception = exception });
    }

    private static ProblemDetails JsonProblem(JsonException json)
    {
        var path = string.IsNullOrEmpty(json.Path) ? "$" : json.Path;
        var message = json.Path is null
            ? "The body is not valid JSON."
            : "This value has the wrong type or is not valid JSON here.";
        var problem = new ProblemDetails
        {
            Status = 400,
            Title = "The request body is not valid",
            Type = Problems.TypeBase + "malformed-json",
            Detail = $"Fix the JSON at {path} and send the request again.",
        };
        problem.Extensions["errors"] = new Dictionary<string, string[]> { [path] = [message] };
        return problem;
    }

    // The framework says `Failed to bind parameter "long? MinPrice" from "abc".` or `Required parameter
    // "string sku" was not provided`; keep only the parameter's name, as the caller spells it.
    private static string? BoundParameter(BadHttpRequestException bad)
    {
        if (bad.StatusCode != 400 || !(bad.Message.StartsWith("Failed to bind parameter", StringComparison.Ordinal)
                || bad.Message.StartsWith("Required parameter", StringComparison.Ordinal)))
        {
            return null;
        }
        var declaration = bad.Message.Split('"').ElementAtOrDefault(1);
        var name = declaration?.Split(' ').LastOrDefault();
        return string.IsNullOrEmpty(name) ? null : char.ToLowerInvariant(name[0]) + name[1..];
    }

    private static ProblemDetails ParameterProblem(string parameter)
    {
        var problem = new ProblemDetails
        {
            Status = 400,
            Title = "A parameter is missing or has the wrong format",
            Type = Problems.TypeBase + "bad-parameter",
            Detail = $"Check the value of `{parameter}`.",
        };
        problem.Extensions["errors"] = new Dictionary<string, string[]> { [parameter] = ["Missing, or not a value of the expected type."] };
        return problem;
    }
}
