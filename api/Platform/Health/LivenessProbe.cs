using FastEndpoints;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Headless.Api.Platform.Health;

/// <summary>GET (or HEAD) /health/live: the process answers. Runs no check, so a slow database never gets a
/// healthy instance restarted.</summary>
public sealed class LivenessProbe(HealthCheckService checks) : EndpointWithoutRequest
{
    public override void Configure()
    {
        // HEAD too: the health check middleware answered any method; probes use GET or HEAD.
        Verbs(FastEndpoints.Http.GET, FastEndpoints.Http.HEAD);
        Routes("/health/live");
        AllowAnonymous();
        // The handler writes the report itself.
        DontAutoSendResponse();
        Description(b => b.ExcludeFromDescription());
    }

    public override Task HandleAsync(CancellationToken ct) =>
        HealthEndpoints.RespondAsync(HttpContext, checks, _ => false, ct);
}
