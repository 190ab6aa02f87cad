using Headless.Api.Platform.Database;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Headless.Api.Platform.Health;

/// <summary>Ready when PostgreSQL answers and every embedded migration is applied.</summary>
public sealed class DatabaseReadyCheck(NpgsqlDataSource db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            var pending = await Migrator.PendingAsync(conn, ct);
            var data = new Dictionary<string, object>
            {
                ["migrationsApplied"] = Migrator.All.Count - pending.Count,
                ["migrationsPending"] = pending.Count,
            };
            return pending.Count == 0
                ? HealthCheckResult.Healthy("Database reachable, schema up to date.", data)
                : HealthCheckResult.Unhealthy($"Migrations not applied yet: {string.Join(", ", pending)}.", data: data);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("Database unreachable.");
        }
    }
}
