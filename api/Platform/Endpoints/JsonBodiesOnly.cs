using Microsoft.AspNetCore.Http.Metadata;

namespace Headless.Api.Platform.Endpoints;

/// <summary>Answers 415 when a request carries a body in a media type its route does not read. Without
/// it FastEndpoints would skip a non-JSON body and the caller would get "field required" errors for
/// fields they did send.</summary>
public sealed class JsonBodiesOnly(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext http)
    {
        var request = http.Request;
        var hasBody = request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0;
        if (!hasBody || http.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>() is not { } accepts
            || accepts.ContentTypes.Count == 0 || Accepted(accepts.ContentTypes, request.ContentType))
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
