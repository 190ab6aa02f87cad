using Microsoft.AspNetCore.Http.Metadata;

namespace Headless.Api.Platform.Endpoints;

/// <summary>Answers 415 when a request carries a body in a media type its route does not read. Without
/// it FastEndpoints would skip a non-JSON body and the caller would get "field required" errors for
/// fields they did send. A request with no body is never refused for its media type.</summary>
public sealed class JsonBodiesOnly(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext http)
    {
        var request = http.Request;
        var hasBody = request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0;
        // Bodyless reads (the hot path) have nothing to check: their routes accept */* or nothing at all.
        if (!hasBody && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)))
        {
            return next(http);
        }
        if (http.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>() is not { ContentTypes.Count: > 0 } accepts)
        {
            return next(http);
        }
        if (!hasBody)
        {
            // FastEndpoints answers a bare 415 to a request without Content-Type on a route that reads JSON,
            // even when nothing was sent (POST /carts). An empty body is labelled as the route's JSON instead:
            // an optional body then stays null (OptionalJsonBody) and a required one is a 400 problem.
            if (string.IsNullOrEmpty(request.ContentType) && !accepts.ContentTypes.Contains("*/*"))
            {
                request.ContentType = accepts.ContentTypes[0];
            }
            return next(http);
        }
        if (Accepted(accepts.ContentTypes, request.ContentType))
        {
            return next(http);
        }
        return TypedResults.Problem(
            statusCode: StatusCodes.Status415UnsupportedMediaType,
            title: "Unsupported media type",
            type: Problems.Problems.TypeBase + "unsupported-media-type",
            detail: $"Send the body as {string.Join(" or ", accepts.ContentTypes)} with a matching Content-Type header.").ExecuteAsync(http);
    }

    private static bool Accepted(IReadOnlyList<string> accepted, string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }
        var mediaType = contentType.Split(';')[0].Trim();
        return accepted.Any(a => a == "*/*" || string.Equals(a, mediaType, StringComparison.OrdinalIgnoreCase)
            || (a == "application/json" && mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)));
    }
}
