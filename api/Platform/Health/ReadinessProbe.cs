using FastEndpoints;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Headless.Api.Platform.Health;

/// <summary>GET (or HEAD) /health/ready: the checks tagged "ready" (the database and its migrations, the search
/// index lag); 503 when one is Unhealthy, so the load balancer sends this instance no traffic.</summary>
public sealed class ReadinessProbe(HealthCheckService checks) : EndpointWithoutRequest
{
    public override void Configure()
    {
        // HEAD too: the health check middleware answered any method; probes use GET or HEAD.
        Verbs(FastEndpoints.Http.GET, FastEndpoints.Http.HEAD);
        Routes("/health/ready");
        AllowAnonymous();
        // The handler writes the report itself.
        DontAutoSendResponse();
        Description(b => b.ExcludeFromDescription());
    }

    public override Task HandleAsync(CancellationToken ct) =>
        HealthEndpoints.RespondAsync(HttpContext, checks, c => c.Tags.Contains("ready"), ct);
}
