using FastEndpoints;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Headless.Api.Platform.Health;

/// <summary>GET /health/live: the process answers. Runs no check, so a slow database never gets a
/// healthy instance restarted.</summary>
public sealed class LivenessProbe(HealthCheckService checks) : EndpointWithoutRequest
{
    public override void Configure()
    {
        Get("/health/live");
        AllowAnonymous();
        // The handler writes the report itself.
        DontAutoSendResponse();
        Description(b => b.ExcludeFromDescription());
    }

    public override Task HandleAsync(CancellationToken ct) =>
        HealthEndpoints.RespondAsync(HttpContext, checks, _ => false, ct);
}
