using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Headless.Api.Platform.Health;

public static class HealthEndpoints
{
    public static IServiceCollection AddHealth(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<DatabaseReadyCheck>("database", tags: ["ready"]);
        return services;
    }

    /// <summary>Runs the checks <paramref name="predicate"/> selects and answers as ASP.NET Core's health
    /// check middleware did before these probes became endpoints: 200 for Healthy or Degraded, 503 for
    /// Unhealthy, never cached, the report as JSON.</summary>
    internal static async Task RespondAsync(
        HttpContext http, HealthCheckService checks, Func<HealthCheckRegistration, bool> predicate, CancellationToken ct)
    {
        var report = await checks.CheckHealthAsync(predicate, ct);
        http.Response.StatusCode = report.Status == HealthStatus.Unhealthy
            ? StatusCodes.Status503ServiceUnavailable
            : StatusCodes.Status200OK;
        http.Response.Headers.Pragma = "no-cache";
        http.Response.Headers.Expires = "Thu, 01 Jan 1970 00:00:00 GMT";
        await WriteAsync(http, report);
    }

    private static Task WriteAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json";
        http.Response.Headers.CacheControl = "no-store";
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("status", report.Status.ToString());
            json.WriteStartObject("checks");
            foreach (var (name, entry) in report.Entries)
            {
                json.WriteStartObject(name);
                json.WriteString("status", entry.Status.ToString());
                json.WriteString("description", entry.Description);
                foreach (var (key, value) in entry.Data)
                {
                    json.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return http.Response.Body.WriteAsync(stream.ToArray()).AsTask();
    }
}
