namespace Headless.Api.Platform.Http;

/// <summary>
/// Answers 428 to an update of a versioned resource sent without If-Match, before its body is read or
/// validated, so a client that forgot the header learns that first (and the same way on every route).
/// Routes opt in with <c>Options(b => b.WithMetadata(IfMatchRequired.Metadata))</c>; the handler then
/// compares the version and answers 412 when it is stale. It runs after authorization: a caller who may
/// not update gets 401/403, not a hint about headers.
/// </summary>
public sealed class IfMatchRequired(RequestDelegate next)
{
    public sealed class Marker;

    public static readonly Marker Metadata = new();

    public Task InvokeAsync(HttpContext http)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<Marker>() is not null && string.IsNullOrWhiteSpace(http.Request.Headers.IfMatch))
        {
            return Problems.Problems.PreconditionRequired().ExecuteAsync(http);
        }
        return next(http);
    }
}
