using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Headless.Api.Platform.Vaults;

/// <summary>This region's vault in /health/ready: Healthy when it answers with every vault migration applied; otherwise
/// Degraded (still 200), because browsing, search and the catalog do not need personal data.</summary>
public sealed class VaultReadyCheck(VaultRegions regions) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var region = regions.Residency.Region;
        var data = new Dictionary<string, object> { ["region"] = region };
        try
        {
            await using var conn = await regions[region].Database.Open().OpenConnectionAsync(ct);
            var pending = await VaultDatabase.PendingAsync(conn);
            data["migrationsPending"] = pending.Count;
            return pending.Count == 0
                ? HealthCheckResult.Healthy($"The {region} personal-data vault answers.", data)
                : HealthCheckResult.Degraded($"The {region} vault lacks migrations: {string.Join(", ", pending)}.", data: data);
        }
        catch (NpgsqlException e) when (e is PostgresException { SqlState: not null } pg && !Problems.DatabaseUnavailable.Is(e))
        {
            // Reachable but refusing (permissions, a missing table): a configuration fault, named by its SQL state only.
            return HealthCheckResult.Degraded($"The {region} personal-data vault answers but fails ({pg.SqlState}).", data: data);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Degraded($"The {region} personal-data vault is unreachable; personal-data routes answer 503.", data: data);
        }
    }
}
