using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;

namespace Headless.Api.Platform.Http;

/// <summary>Rejects bodies over the limit before anything reads them, with a problem response. Kestrel
/// enforces the same limit on chunked bodies as they stream in. A route that takes files (image uploads)
/// raises its own limit with <see cref="Override"/> metadata.</summary>
public sealed class BodySizeLimit(RequestDelegate next, IProblemDetailsService problems)
{
    public const long MaxBytes = 1024 * 1024;

    /// <summary>Endpoint metadata: this route's limit instead of <see cref="MaxBytes"/>.</summary>
    public sealed record Override(Func<HttpContext, long> MaxBytes);

    public async Task InvokeAsync(HttpContext http)
    {
        var max = http.GetEndpoint()?.Metadata.GetMetadata<Override>()?.MaxBytes(http) ?? MaxBytes;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = max;
        }
        if (http.Request.ContentLength > max)
        {
            http.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails = new ProblemDetails
                {
                    Status = 413,
                    Title = "Request body too large",
                    Type = Problems.Problems.TypeBase + "body-too-large",
                    Detail = $"Bodies are limited to {max / 1024} KiB. Send a smaller body.",
                },
            });
            return;
        }
        await next(http);
    }
}
