using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Headless.Api.Platform.Vaults;

/// <summary>The vaults this API serves in /health/ready: Healthy when each answers with every vault migration applied;
/// otherwise Degraded (still 200), because browsing, search and the catalog do not need personal data. A vault the
/// erasure journal has not been re-applied to yet (it was down at start) gets it re-applied here first.</summary>
public sealed class VaultReadyCheck(VaultRegions regions, ErasureJournal journal, DataKeyCache cache) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var served = regions.Residency.Served;
        var data = new Dictionary<string, object> { ["region"] = string.Join(",", served) };
        var problems = new List<string>();
        foreach (var region in served)
        {
            if (await ProblemAsync(region, data, ct) is { } problem)
            {
                problems.Add(problem);
            }
        }
        return problems.Count == 0
            ? HealthCheckResult.Healthy($"The {string.Join(" and ", served)} personal-data vault{(served.Count > 1 ? "s answer" : " answers")}.", data)
            : HealthCheckResult.Degraded(string.Join(" ", problems), data: data);
    }

    private async Task<string?> ProblemAsync(string region, Dictionary<string, object> data, CancellationToken ct)
    {
        try
        {
            await using var conn = await regions[region].Database.Open().OpenConnectionAsync(ct);
            var pending = await VaultDatabase.PendingAsync(conn);
            data[$"{region}.migrationsPending"] = pending.Count;
            if (pending.Count > 0)
            {
                return $"The {region} vault lacks migrations: {string.Join(", ", pending)}.";
            }
            var missing = await regions[region].Keks.MissingAsync(conn);
            data[$"{region}.keysMissing"] = missing.Count;
            if (missing.Count > 0)
            {
                return $"The {region} vault's key-encryption key{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Select(k => $"v{k.Version} ({k.Provider})"))} "
                    + "cannot be found; personal-data routes answer 503. Put the key file back from its backup (docs/operations.md).";
            }
            return await JournalProblemAsync(region, ct);
        }
        catch (NpgsqlException e) when (e is PostgresException { SqlState: not null } pg && !Problems.DatabaseUnavailable.Is(e))
        {
            // Reachable but refusing (permissions, a missing table): a configuration fault, named by its SQL state only.
            return $"The {region} personal-data vault answers but fails ({pg.SqlState}).";
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return $"The {region} personal-data vault is unreachable; personal-data routes answer 503.";
        }
    }

    private async Task<string?> JournalProblemAsync(string region, CancellationToken ct)
    {
        try
        {
            await journal.EnsureReappliedAsync(regions[region], cache, ct);
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return $"The erasure journal is not yet re-applied to the {region} vault ({e.GetType().Name}); erased people a restore brought back may be readable.";
        }
    }
}
