namespace Headless.Api.Platform.Vaults;

/// <summary>Before requests are served: creates (Development) and migrates every vault whose migration login is known.
/// A vault that cannot be reached does not stop the start: the API serves everything but personal data, and says so in
/// /health/ready.
/// Then the erasure journal is re-applied to it (a restored vault may hold keys of people erased since its backup).</summary>
public sealed class VaultStartup(VaultRegions regions, ErasureJournal journal, DataKeyCache cache, ILogger<VaultStartup> log) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken ct)
    {
        foreach (var vault in regions.All)
        {
            try
            {
                var applied = await vault.Database.MigrateAsync(ct);
                log.LogInformation("Vault {Region}: {Applied} migrations applied now, {Total} in all", vault.Region, applied.Count, VaultDatabase.Migrations.Count);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
            {
                // The message of a connection failure names host and port, never the password.
                log.LogWarning("Vault {Region} not migrated: unreachable ({Error}); personal-data routes will answer 503 until it is", vault.Region,
                    e.Message);
                continue;
            }
            if (vault.Database.DataSource is null)
            {
                continue;
            }
            try
            {
                await journal.ReapplyAsync(vault, cache, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The vault, the core table or the archive failed: /health/ready stays Degraded and retries until it succeeds.
                log.LogWarning("Erasure journal not re-applied to the {Region} vault yet ({Error}); /health/ready retries it", vault.Region, e.GetType().Name);
            }
        }
    }

    public Task StartAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken ct) => Task.CompletedTask;
}
