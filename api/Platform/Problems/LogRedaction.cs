using Microsoft.AspNetCore.Diagnostics;

namespace Headless.Api.Platform.Problems;

/// <summary>What a log line may say about a request. Paths carry bearer secrets (a cart token is the
/// only key to a guest's cart: `/api/v1/carts/{token}`) and query strings can carry order tokens, so
/// logs name the matched route pattern, never the path or the query.</summary>
public static class LogRedaction
{
    public static string Route(HttpContext http)
    {
        // Inside the exception handler the endpoint has been cleared; the feature keeps the one that threw.
        var endpoint = http.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? http.GetEndpoint();
        return (endpoint as RouteEndpoint)?.RoutePattern.RawText is { } pattern
            ? "/" + pattern.TrimStart('/')
            : "(no route matched)";
    }
}
