using FastEndpoints;
using Microsoft.AspNetCore.Http.Features;

namespace Headless.Api.Platform.Endpoints;

/// <summary>The binder of a <see cref="JsonBody{TBody}"/> request whose body may be left out, as
/// <c>[FromBody(EmptyBodyBehavior = Allow)]</c> did: a request without a body (Content-Length: 0, as the
/// generated TypeScript client sends when no body is passed, still labelled application/json) leaves
/// Body null, where FastEndpoints would fail on "no JSON tokens". Every other request binds as usual.
/// Set it with <c>RequestBinder(new OptionalJsonBody&lt;Request&gt;())</c>.</summary>
public sealed class OptionalJsonBody<TRequest> : IRequestBinder<TRequest> where TRequest : notnull
{
    private static readonly RequestBinder<TRequest> WithBody = new();

    private static readonly RequestBinder<TRequest> WithoutBody = new(
        BindingSource.RouteValues | BindingSource.QueryParams | BindingSource.Headers | BindingSource.UserClaims
        | BindingSource.Permissions | BindingSource.Cookies);

    public ValueTask<TRequest> BindAsync(BinderContext ctx, CancellationToken ct) =>
        ctx.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true
            ? WithBody.BindAsync(ctx, ct)
            : WithoutBody.BindAsync(ctx, ct);
}

public static class OptionalJsonBody
{
    /// <summary>Endpoint metadata that tells the OpenAPI document the body may be left out.</summary>
    public static readonly object Marker = new OptionalBodyMarker();

    public sealed class OptionalBodyMarker;
}
