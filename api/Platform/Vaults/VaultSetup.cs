using Headless.Api.Platform.Cli;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Headless.Api.Platform.Vaults;

public static class VaultSetup
{
    public static IServiceCollection AddPersonalDataVaults(this IServiceCollection services, IConfiguration config, IHostEnvironment env)
    {
        services.AddSingleton(_ => Residency.From(config, env));
        services.AddSingleton(sp => VaultRegions.From(sp.GetRequiredService<Residency>()));
        services.AddSingleton(_ => new DataKeyCache());
        services.AddSingleton(_ => ErasureArchives.From(config));
        services.AddSingleton<ErasureJournal>();
        services.AddSingleton<PersonalDataVault>();
        services.AddSingleton<RegionMoveCopier>();
        services.AddSingleton<PlainDataMove>();
        services.AddSingleton<KekRotation>();
        services.AddHostedService<VaultStartup>();
        services.AddHostedService<KekRewrapService>();
        services.AddHealthChecks().AddCheck<VaultReadyCheck>("vault", failureStatus: HealthStatus.Degraded, tags: ["ready"]);
        return services;
    }

    /// <summary>`vault-rotate-kek [--region=eu|us] [--batch=N]`: a new KEK version for the region, then every data key
    /// re-wrapped under it in batches while the API keeps serving.</summary>
    public static OperatorCommand RotateKekCommand { get; } = new(
        "vault-rotate-kek", "vault-rotate-kek [--region=eu|us] [--batch=200]",
        "Adds a key-encryption key version to a personal-data vault and re-wraps every data key under it, online.", ["region", "batch"],
        async (services, line, output, errors, ct) =>
        {
            var regions = services.GetRequiredService<VaultRegions>();
            var region = (line["region"] ?? regions.Residency.Region).Trim().ToLowerInvariant();
            if (!Residency.AllRegions.Contains(region))
            {
                await errors.WriteLineAsync($"--region: '{region}' is not a region; use eu or us.");
                return OperatorCommands.Usage;
            }
            if (!int.TryParse(line["batch"] ?? KekRotation.DefaultBatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    System.Globalization.CultureInfo.InvariantCulture, out var batch) || batch is < 1 or > 10_000)
            {
                await errors.WriteLineAsync("--batch: a number from 1 to 10000.");
                return OperatorCommands.Usage;
            }
            if (regions[region].Database.DataSource is null)
            {
                await errors.WriteLineAsync($"No {region} vault is configured: set Headless__Residency__Regions__{region}__ConnectionString (and its key settings).");
                return OperatorCommands.Refused;
            }
            await regions[region].Database.MigrateAsync(ct);
            var rotation = services.GetRequiredService<KekRotation>();
            var version = await rotation.RotateAsync(region, ct);
            await output.WriteLineAsync($"Vault {region}: KEK version {version.Version} ({version.Provider}) added; re-wrapping data keys in batches of {batch} ...");
            var moved = await rotation.RewrapAllAsync(region, batch, ct);
            await output.WriteLineAsync($"Vault {region}: {moved} data keys re-wrapped; every live data key is now under version {version.Version}.");
            return OperatorCommands.Done;
        });

    /// <summary>`vault-reapply-erasures`: after a restore (`./build.sh restore` runs it), shreds again every journaled
    /// person whose data key the restored vault holds, in each vault this API can reach.</summary>
    public static OperatorCommand ReapplyErasuresCommand { get; } = new(
        "vault-reapply-erasures", "vault-reapply-erasures",
        "Re-applies the erasure journal (core table and archive) to every configured personal-data vault: people erased after a restored backup was taken are shredded again.", [],
        async (services, _, output, errors, ct) =>
        {
            var regions = services.GetRequiredService<VaultRegions>();
            var journal = services.GetRequiredService<ErasureJournal>();
            var cache = services.GetRequiredService<DataKeyCache>();
            var failed = false;
            foreach (var vault in regions.All.Where(v => v.Database.DataSource is not null))
            {
                try
                {
                    await vault.Database.MigrateAsync(ct);
                    var again = await journal.ReapplyAsync(vault, cache, ct);
                    await output.WriteLineAsync($"Vault {vault.Region}: {again.Count} erased people were back and are shredded again.");
                }
                catch (Exception e) when (e is Npgsql.NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
                {
                    await errors.WriteLineAsync($"Vault {vault.Region}: unreachable ({e.Message.TrimEnd('.')}); run vault-reapply-erasures again once it answers (the API also re-applies at start).");
                    failed = true;
                }
            }
            return failed ? OperatorCommands.Refused : OperatorCommands.Done;
        });
}
